// The editor's working copy of a menu version, and the GraphQL input it saves as.
import type { RichMenusQuery } from '../gql/graphql';

export type Menu = RichMenusQuery['richMenus'][number];
export type Version = Menu['versions'][number];
export type Page = Version['definition']['pages'][number];
export type Area = Page['areas'][number];
export type Action = Area['action'];
export type Template = NonNullable<Page['template']>;

export type VersionState = 'live' | 'draft' | 'past';

export function stateOf(v: Version): VersionState {
  if (v.live) return 'live';
  return v.publishedAt ? 'past' : 'draft';
}

export const SIZES = [
  { width: 2500, height: 1686, key: 'richmenu.sizeLarge' },
  { width: 2500, height: 843, key: 'richmenu.sizeSmall' },
] as const;

export function blankAction(): Action {
  return { kind: 'MESSAGE' as Action['kind'], liff: null, uri: null, text: '', data: null, tab: null, label: null };
}

const nullIfBlank = (s: string | null | undefined) => (s == null || s.trim() === '' ? null : s);

/** Only the fields of the action's kind go to the API. */
function actionInput(a: Action) {
  return {
    kind: a.kind,
    liff: a.kind === 'LIFF' ? a.liff : null,
    uri: a.kind === 'URI' ? nullIfBlank(a.uri) : null,
    text: a.kind === 'MESSAGE' ? (a.text ?? '') : null,
    data: a.kind === 'POSTBACK' ? (a.data ?? '') : null,
    tab: a.kind === 'SWITCH' ? a.tab : null,
    label: nullIfBlank(a.label),
  };
}

export function pagesInput(pages: Page[]) {
  return pages.map((p) => ({
    name: p.name,
    width: p.width,
    height: p.height,
    chatBarText: p.chatBarText,
    image: p.image,
    areas: p.areas.map((a) => ({ x: a.x, y: a.y, width: a.width, height: a.height, action: actionInput(a.action) })),
    template: p.template ? { tabs: p.template.tabs, activeTab: p.template.activeTab, columns: p.template.columns, rows: p.template.rows, tiles: p.template.tiles.map((t) => ({ label: t.label, icon: t.icon })) } : null,
  }));
}
