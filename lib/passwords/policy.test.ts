/** The password policy (NIST SP 800-63B): length in characters after NFKC, the blocklist, no composition rules. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMMON_PASSWORDS } from './common-passwords';
import { isCommonPassword, passwordLength, passwordProblem, passwordStrength, samePassword } from './policy';

test('length counts characters after NFKC, not UTF-16 units or bytes', () => {
  assert.equal(passwordLength('😀😀😀😀'), 4, 'four emoji are four characters (eight UTF-16 units)');
  assert.equal(passwordLength('u\u0308'), 1, 'a combining sequence composes to one "ü"');
  assert.equal(passwordProblem('😀🎉🔒🌍🚀🍕🎸'), 'too_short', 'seven emoji are too short');
  assert.equal(passwordProblem('😀🎉🔒🌍🚀🍕🎸🐙'), null, 'eight are enough');
});

test('no composition rules: a long lower-case passphrase is accepted as it is', () => {
  assert.equal(passwordProblem('correct horse battery'), null);
  assert.equal(passwordProblem('a long enough passphrase'), null);
});

test('the most common passwords are refused in any case, from the list shipped with the project', () => {
  const list = COMMON_PASSWORDS.split('\n');
  assert.ok(list.length >= 3000, `a few thousand entries (${list.length})`);
  assert.ok(
    list.every((p) => passwordLength(p) >= 8),
    'only entries the length rule would not already refuse',
  );
  for (const p of ['password', 'Password1', 'QWERTYUIOP', 'iloveyou', 'sunshine', 'trustno1']) {
    assert.equal(passwordProblem(p), 'common', p);
  }
  assert.ok(isCommonPassword('pass word1'), 'spaces do not hide a listed password');
});

test('repeated and sequential characters are refused: eight spaces are no password', () => {
  for (const p of [' '.repeat(8), 'aaaaaaaa', 'abababab', 'abcabcabc', 'abcdefgh', '98765432', '\t\t\t\t \t\t\t']) {
    assert.equal(passwordProblem(p), 'repetitive', JSON.stringify(p));
  }
  assert.equal(passwordProblem('aaaaaaab'), null, 'a single break is not a pattern this rule names');
});

test("the account's own email, its local part or name are refused", () => {
  const context = { email: 'Ada.Lovelace@example.com', name: 'Countess Ada' };
  assert.equal(passwordProblem('ada.lovelace@example.com', context), 'personal');
  assert.equal(passwordProblem('AdaLovelace', context), 'personal');
  assert.equal(passwordProblem('countess ada', context), 'personal');
  assert.equal(passwordProblem('lovelace engine notes', context), null, 'containing a word of it is fine');
});

test('the same password typed with another Unicode form is the same password', () => {
  assert.ok(samePassword('cafe\u0301 au lait', 'caf\u00e9 au lait'));
  assert.ok(!samePassword('Cafe au lait', 'cafe au lait'));
});

test('the strength hint: refused passwords score 0 with the reason, long varied ones score higher', () => {
  assert.deepEqual(passwordStrength('short'), { score: 0, label: 'Too short', advice: 'Use at least 8 characters.' });
  assert.equal(passwordStrength('password').score, 0);
  assert.equal(passwordStrength('k7#qPz!w').score, 2);
  assert.ok(passwordStrength('a long enough passphrase').score >= 3);
  assert.ok(passwordStrength('zebrafig').score < passwordStrength('zebra fig lantern').score);
});
