import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCpuList } from './stack';

describe('parseCpuList (the CPUs the bench may pin the API to)', () => {
  test('reads single CPUs and ranges as taskset prints them', () => {
    assert.deepEqual(parseCpuList('0,1'), [0, 1]);
    assert.deepEqual(parseCpuList(' 0-3,8,10-11\n'), [0, 1, 2, 3, 8, 10, 11]);
    assert.deepEqual(parseCpuList('5'), [5]);
  });

  test('anything else is no CPUs at all, so nothing is pinned', () => {
    for (const text of ['', 'x', '0-', '1,,2', 'pid 1: 0']) assert.deepEqual(parseCpuList(text), [], text);
  });
});
