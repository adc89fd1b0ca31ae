// The "Get started" walkthrough in package.json: every step's media exists and is packaged,
// and every button and completion event names a command, view or setting the extension
// contributes, so no step is left that can never be completed.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

interface Step { id: string; title: string; description: string; media: { markdown?: string }; completionEvents?: string[] }
interface Manifest {
  contributes: {
    commands: { command: string }[];
    views: Record<string, { id: string }[]>;
    viewsContainers: { activitybar: { id: string }[] };
    configuration: { properties: Record<string, unknown> };
    walkthroughs?: { id: string; steps: Step[] }[];
  };
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;
const commands = new Set(manifest.contributes.commands.map((c) => c.command));
for (const container of manifest.contributes.viewsContainers.activitybar) commands.add(`workbench.view.extension.${container.id}`);
const views = new Set(Object.values(manifest.contributes.views).flat().map((v) => v.id));
const settings = new Set(Object.keys(manifest.contributes.configuration.properties));
const packaged = readFileSync(join(ROOT, '.vscodeignore'), 'utf8').split('\n').filter((line) => line.startsWith('!')).map((line) => line.slice(1));

/** Whether `.vscodeignore`'s `!glob` lines (one `*` per path segment at most) keep `file` in the package. */
function isPackaged(file: string): boolean {
  return packaged.some((glob) => new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`).test(file));
}

describe('the Get started walkthrough', () => {
  const walkthrough = manifest.contributes.walkthroughs?.find((w) => w.id === 'getStarted');

  it('is contributed, and walks through profile, region, the view and a run', () => {
    assert.ok(walkthrough, 'contributes.walkthroughs has getStarted');
    assert.deepEqual(walkthrough.steps.map((s) => s.id), ['chooseProfile', 'chooseRegion', 'openView', 'reviewRun']);
  });

  for (const step of manifest.contributes.walkthroughs?.flatMap((w) => w.steps) ?? []) {
    it(`step ${step.id}: its media is a packaged file and its events and buttons name what the extension contributes`, () => {
      const media = step.media.markdown;
      assert.ok(media && existsSync(join(ROOT, media)), `${step.id}: media ${media} exists`);
      assert.ok(isPackaged(media), `${step.id}: .vscodeignore keeps ${media} in the package`);

      const events = step.completionEvents ?? [];
      assert.ok(events.length > 0, `${step.id} has a completion event`);
      for (const event of events) {
        const [kind, name = ''] = event.split(/:(.*)/s);
        const known = kind === 'onCommand' ? commands : kind === 'onView' ? views : kind === 'onSettingChanged' ? settings : undefined;
        assert.ok(known?.has(name), `${step.id}: completion event ${event} names something contributed`);
      }
      const buttons = [...step.description.matchAll(/\]\(command:([^)?]+)/g)].map((m) => m[1] ?? '');
      assert.ok(buttons.length > 0, `${step.id} has a button`);
      for (const command of buttons) assert.ok(commands.has(command), `${step.id}: button runs ${command}, which is contributed`);
    });
  }
});
