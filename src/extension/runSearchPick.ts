// The palette's pick of pending runs: it searches as you type (job name, run id or check
// name, on the server) and shows the first runs in expiry order, instead of loading every
// run first. With several to choose, an "all N matching" item decides every run the text
// matches, at any count (the store's full list of that selection).
import * as vscode from 'vscode';
import { formatCheck, primaryFailingCheck } from '../core/checkFormat';
import { formatTimeLeft } from '../core/durations';
import { expiryOf } from '../core/expiry';
import type { JobRun } from '../core/model';
import type { PendingRunsStore } from '../core/pendingRunsStore';
import { iconLabel } from '../core/untrustedText';
import { readViewSettings } from './settings';

/** Runs shown for one search; the text narrows the rest. */
const PICK_PAGE_SIZE = 100;
const TYPING_PAUSE_MS = 150;

export interface RunSearchPickOptions {
  title: string;
  placeholder: string;
  canSelectMany: boolean;
  /** Title shown when Enter chose nothing (multi-select). */
  chooseHint?: string;
}

type RunPick = vscode.QuickPickItem & { run?: JobRun; all?: { text: string } };

/** Resolves the runs chosen (empty when dismissed). */
export function pickPendingRuns(store: PendingRunsStore, options: RunSearchPickOptions): Promise<JobRun[]> {
  const pick = vscode.window.createQuickPick<RunPick>();
  pick.title = options.title;
  pick.placeholder = options.placeholder;
  pick.matchOnDescription = true;
  pick.matchOnDetail = true;
  pick.canSelectMany = options.canSelectMany;
  pick.ignoreFocusOut = true;
  const ticked = new Map<string, RunPick>();
  let searchId = 0;
  let timer: NodeJS.Timeout | undefined;
  /** The text the items shown were searched for. */
  let searched: string | undefined;

  const search = async (text: string): Promise<void> => {
    const id = ++searchId;
    pick.busy = true;
    try {
      const page = await store.page(text.trim() ? { text: text.trim() } : {}, { sortBy: 'expiry', size: PICK_PAGE_SIZE });
      if (id !== searchId) return;
      const ttl = readViewSettings().approvalTtlHours;
      const now = Date.now();
      const shown = page.runs.filter((run) => store.isShown(run.jobRunId) && !ticked.has(run.jobRunId));
      const items: RunPick[] = [...ticked.values(), ...shown.map((run) => runItem(run, ttl, now))];
      if (page.next && options.canSelectMany) {
        items.unshift({
          label: text.trim() ? iconLabel`$(checklist) Every pending run matching "${text.trim()}"` : '$(checklist) Every pending run',
          description: text.trim() ? '' : `${store.count} runs`,
          detail: 'More runs match than are listed here; type to narrow, or choose this to decide them all.',
          alwaysShow: true,
          all: { text: text.trim() },
        });
      }
      pick.items = items;
      pick.selectedItems = items.filter((item) => item.run && ticked.has(item.run.jobRunId));
      searched = text.trim();
    } catch (error) {
      if (id !== searchId) return;
      pick.items = [{ label: '$(error) Could not search pending runs', detail: iconLabel`${error instanceof Error ? error.message : String(error)}`, alwaysShow: true }];
    } finally {
      if (id === searchId) pick.busy = false;
    }
  };

  return new Promise<JobRun[]>((resolve) => {
    let settled = false;
    const settle = (runs: JobRun[]) => {
      if (settled) return;
      settled = true;
      searchId += 1; // a search still under way finds the pick gone
      clearTimeout(timer);
      resolve(runs);
      pick.dispose();
    };
    pick.onDidChangeValue((value) => {
      clearTimeout(timer);
      timer = setTimeout(() => void search(value), TYPING_PAUSE_MS);
    });
    pick.onDidChangeSelection((selected) => {
      if (!options.canSelectMany) return;
      ticked.clear();
      for (const item of selected) if (item.run) ticked.set(item.run.jobRunId, item);
    });
    pick.onDidAccept(async () => {
      // Enter right after typing: decide on what the text finds, not on the items shown before.
      if (searched !== pick.value.trim() && !(options.canSelectMany && pick.selectedItems.length > 0)) {
        clearTimeout(timer);
        await search(pick.value);
        if (settled) return;
      }
      const chosen = options.canSelectMany ? pick.selectedItems : pick.activeItems;
      const all = chosen.find((item) => item.all);
      if (all?.all) {
        pick.busy = true;
        void store.listAll(all.all.text ? { text: all.all.text } : {}).then(settle, () => settle([]));
        return;
      }
      const runs = chosen.flatMap((item) => (item.run ? [item.run] : []));
      const fallback = runs.length > 0 ? runs : onlyMatch(pick.items, pick.value);
      if (fallback.length > 0) {
        settle(fallback);
        return;
      }
      if (options.chooseHint) pick.title = options.chooseHint;
    });
    pick.onDidHide(() => settle([]));
    pick.show();
    void search('');
  });
}

function runItem(run: JobRun, ttl: number, now: number): RunPick {
  const check = primaryFailingCheck(run);
  return {
    label: iconLabel`${run.jobRunId}`,
    description: iconLabel`${run.jobName}`,
    detail: iconLabel`${check ? formatCheck(check) : `quality ${run.qualityStatus ?? 'unknown'}`} · ${formatTimeLeft(expiryOf(run, ttl), now)}`,
    run,
  };
}

/**
 * A multi-select pick accepts only ticked items, so Enter after typing part of a run id would
 * close it having chosen nothing: the one run whose label, description or detail contains the
 * text counts; none when it matches several.
 */
function onlyMatch(items: readonly RunPick[], text: string): JobRun[] {
  const needle = text.trim().toLowerCase();
  if (needle === '') return [];
  const matching = items.filter((item) => item.run && [item.label, item.description, item.detail].some((field) => field?.toLowerCase().includes(needle)));
  return matching.length === 1 && matching[0]?.run ? [matching[0].run] : [];
}
