/**
 * Which audit actions only record a read (a "view"): plain TypeScript with no imports, so the
 * web apps use it at run time without bundling the contract's schemas.
 */

/** Exact actions that only read; with the suffixes below they make up "views". */
const VIEW_ACTIONS = ['inbox.team_viewed', 'fhir.read', 'fhir.search', 'message.searched'];
/** Action suffixes of reads: `patient.viewed`, `document.list_viewed`, and so on. */
const VIEW_SUFFIXES = ['.viewed', '.list_viewed'];

/** Whether an audit action only records that something was read (a "view"), not a change. */
export function isViewAction(action: string): boolean {
  return VIEW_ACTIONS.includes(action) || VIEW_SUFFIXES.some((s) => action.endsWith(s));
}

/** The same rule as `isViewAction`, for a query: the exact actions and the `like` patterns. */
export const VIEW_ACTION_RULE = {
  actions: VIEW_ACTIONS,
  likePatterns: VIEW_SUFFIXES.map((s) => `%${s.replace(/_/g, '\\_')}`),
};
