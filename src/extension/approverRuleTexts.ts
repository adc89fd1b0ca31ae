// Every text the approver rules put on VS Code surfaces (tree, view description, badge,
// notifications), in one place; values go through core/untrustedText's templates. The
// details page's texts come from core/approvalProgress.ts and are set as text there.
import { label, message } from '../core/untrustedText';

export const APPROVER_RULE_TEXTS = {
  /** The Pending view's description while it shows only the runs waiting for me. */
  waitingForMeDescription: 'waiting for you',
  /** Appended to the badge's tooltip while the tree is filtered. */
  badgeCountsAll: ' (all, not only those waiting for you)',
  /** The tree's row when no run waits for me. */
  noneWaitingForMe: (allPending: number): string => label`No run is waiting for you (${allPending} pending in all): show all`,
  waitingForMeFailed: (failure: string): string => message`Cannot tell which runs are waiting for you, so the tree shows all pending runs: ${failure}`,
  /** Before a reason is asked for in the tree or the palette: the runs the policy does not let you decide. */
  refusedRuns: (first: { jobName: string; jobRunId: string; reason: string }, moreRefused: number, goingOn: number): string => {
    const others = moreRefused > 0 ? ` (and ${moreRefused} more ${moreRefused === 1 ? 'run' : 'runs'})` : '';
    const rest = goingOn > 0 ? ` The other ${goingOn === 1 ? 'run goes' : `${goingOn} runs go`} on.` : '';
    return message`${first.jobName} run ${first.jobRunId}${others}: ${first.reason}${rest}`;
  },
} as const;
