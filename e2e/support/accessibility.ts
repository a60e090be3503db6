/**
 * The pages' shared check (issue 24): axe-core finds no serious or critical violation, in light and dark, on a
 * desktop and a 390 px phone, and the page is no wider than the phone.
 */
import assert from 'node:assert/strict';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';

/** The two widths every page is checked at. */
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

/** axe-core's serious and critical violations on the page as it is now (or in the part `within` selects), one line each. */
async function seriousViolations(page: Page, within?: string): Promise<string[]> {
  // Legacy mode runs axe in the page itself; the default finishes each run in a new blank page (about a second
  // each), which only pages with cross-origin frames need, and these have none.
  const axe = new AxeBuilder({ page }).setLegacyMode();
  if (within) axe.include(within);
  // resultTypes: only violations get every node collected, which makes a run several times cheaper.
  const { violations, passes } = await axe.options({ resultTypes: ['violations'] }).analyze();
  assert.ok(passes.length > 10, `axe ran its rules on ${page.url()}`);
  assert.ok(
    [...passes, ...violations].some((r) => r.id === 'color-contrast'),
    'colour contrast was checked',
  );
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** How much wider than the viewport the page is (0 when it fits). */
const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

/**
 * What is wrong with the page as it is now, in each colour scheme and width (one load, four looks); empty when
 * nothing is. `name` labels each line. `within` (a selector) limits axe to the part of a page that another test
 * already checks whole, e.g. one section in a new state; the width is always the whole page's.
 * E2E_SCREENSHOTS=<dir> saves a full-page picture of every look.
 */
export async function accessibilityProblems(page: Page, name: string, within?: string): Promise<string[]> {
  // After a client-side navigation Next.js streams the new page's metadata in after its content, so there is a
  // moment with no <title>. Wait for it; a page that never gets one still fails below (document-title).
  await page.waitForFunction(() => document.title.trim() !== '').catch(() => undefined);
  const problems: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    for (const viewport of [DESKTOP, PHONE]) {
      await page.emulateMedia({ colorScheme });
      await page.setViewportSize(viewport);
      const where = `${colorScheme} ${viewport.width}px ${name}`;
      if (process.env.E2E_SCREENSHOTS) {
        const file = `${colorScheme}-${viewport.width}-${name.replace(/[^a-z0-9]+/gi, '_')}.png`;
        await page.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/${file}`, fullPage: true });
      }
      for (const v of await seriousViolations(page, within)) problems.push(`${where}: ${v}`);
      const extra = await overflow(page);
      if (extra > 0) problems.push(`${where}: ${extra} px wider than the viewport`);
    }
  }
  await page.setViewportSize(DESKTOP);
  return problems;
}
