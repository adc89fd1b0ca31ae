// The "Get started with DWH Approvals" walkthrough as VS Code shows it: opened from the
// palette like any walkthrough, its four steps listed, and a step done when the user does
// what it is about — from the walkthrough's own button or anywhere else.
import * as assert from 'node:assert/strict';
import type { Locator } from 'playwright-core';
import { quickInput, started } from './reviewFixture';
import { CONTAINER_NAME, Workbench, eventually, screenshotOnFailure } from './workbench';

const WALKTHROUGH = 'Get started with DWH Approvals';
const STEP_TITLES = ['Choose your AWS profile', 'Choose the region', 'Open Pending Approvals', 'Review a run'];

describe('the Get started walkthrough', function () {
  let workbench: Workbench | undefined;

  before(async function () {
    this.timeout(300_000);
    workbench = await Workbench.start({ viewport: { width: 1400, height: 1000 } });
  });

  afterEach(async function () {
    await screenshotOnFailure(workbench, this.currentTest);
  });

  after(async function () {
    await workbench?.close();
  });

  const opened = (): Workbench => started(workbench, 'the workbench');

  /** A step of the open walkthrough, by its id in package.json. */
  function step(wb: Workbench, id: string): Locator {
    return wb.page.locator(`.getting-started-step[data-step-id$="#${id}"]`);
  }

  /** Whether the step's check mark is ticked (the workbench sets aria-checked on it). */
  async function isDone(wb: Workbench, id: string): Promise<boolean> {
    const checkMark = step(wb, id).locator('[aria-checked]').first();
    await checkMark.waitFor({ state: 'attached', timeout: 30_000 });
    return (await checkMark.getAttribute('aria-checked')) === 'true';
  }

  it('opens from "Welcome: Open Walkthrough…" and lists profile, region, the view and a run', async function () {
    const wb = opened();
    await wb.runCommand('Welcome: Open Walkthrough...');
    const { input, rows } = quickInput(wb);
    await input.fill(WALKTHROUGH);
    const row = rows.filter({ hasText: WALKTHROUGH }).first();
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    await row.click();
    const titles = await eventually(
      () => wb.page.locator('.getting-started-step .step-title').allTextContents(),
      (texts) => STEP_TITLES.every((title) => texts.some((text) => text.trim() === title)),
      { timeoutMs: 30_000, message: `the walkthrough's steps (${STEP_TITLES.join(', ')})` },
    );
    assert.deepEqual(titles.map((t) => t.trim()), STEP_TITLES);
    for (const id of ['chooseProfile', 'chooseRegion', 'openView', 'reviewRun']) assert.equal(await isDone(wb, id), false, `${id} is not done yet`);
    await wb.screenshot('walkthrough');
  });

  it('marks a step done when its command runs, even dismissed, and when its view opens', async function () {
    const wb = opened();
    await step(wb, 'chooseRegion').locator('.step-title').click();
    await step(wb, 'chooseRegion').getByRole('button', { name: 'Choose AWS Region' }).click();
    // The command's prompt appears; the walkthrough page can take focus back and close it at
    // once, so its title is waited for in the DOM (it stays there, hidden, once closed).
    const regionPrompt = wb.page.locator('.quick-input-widget .quick-input-title', { hasText: 'Choose the AWS region for DWH Approvals' });
    await regionPrompt.waitFor({ state: 'attached', timeout: 30_000 });
    if (await regionPrompt.isVisible()) await wb.page.keyboard.press('Escape');
    await eventually(() => isDone(wb, 'chooseRegion'), (done) => done, { timeoutMs: 30_000, message: 'the region step to be done' });

    await step(wb, 'openView').locator('.step-title').click();
    await step(wb, 'openView').getByRole('button', { name: 'Open the View' }).click();
    await wb.page.locator('.part.sidebar .composite.title h2', { hasText: CONTAINER_NAME }).waitFor({ state: 'visible', timeout: 30_000 });
    await eventually(() => isDone(wb, 'openView'), (done) => done, { timeoutMs: 30_000, message: 'the view step to be done' });
    assert.equal(await isDone(wb, 'chooseProfile'), false, 'choosing a region does not complete the profile step');
    assert.equal(await isDone(wb, 'reviewRun'), false, 'opening the view does not complete the review step');
  });
});
