// The console's one route table (assembly): each page with the permission
// that opens it and, for those in the navigation, its label. The router and
// the navigation both read it, so a page and its menu entry cannot disagree.
// The server enforces the same permissions; hiding only spares dead ends.
import type { ReactNode } from 'react';
import { PasswordPage } from './auth/PasswordPage';
import { DashboardPage } from './dashboard/DashboardPage';
import { FriendsPage } from './friends/FriendsPage';
import { StaffListPage } from './staff/StaffListPage';
import { StaffFormPage } from './staff/StaffFormPage';
import { ImportPage } from './staff/ImportPage';
import { TeamsPage } from './teams/TeamsPage';
import { ServiceAccountsPage } from './service-accounts/ServiceAccountsPage';
import { AuditLogPage } from './audit/AuditLogPage';
import { SegmentsPage } from './audience/SegmentsPage';
import { CatalogPage } from './audience/CatalogPage';
import { FormsPage } from './audience/FormsPage';
import { DeliveriesPage } from './delivery/DeliveriesPage';
import { ComposePage } from './delivery/ComposePage';
import { DeliveryDetailPage } from './delivery/DeliveryDetailPage';
import { PassPage } from './card/PassPage';
import { CardSettingsPage } from './card/CardSettingsPage';
import { HoldersPage } from './card/HoldersPage';
import { FaqPage } from './chatbot/FaqPage';
import { ScenariosPage } from './chatbot/scenario/ScenariosPage';
import { StatsPage } from './chatbot/StatsPage';
import { RichMenusPage } from './richmenu/RichMenusPage';
import { MailRulesPage } from './mailin/MailRulesPage';
import { SurveysPage } from './survey/SurveysPage';
import { SurveyPage } from './survey/SurveyPage';
import type { NavItem } from './shell/nav';

export type AppRoute = {
  /** Under `/console/`; '' is the dashboard. */
  path: string;
  element: ReactNode;
  /** The permission that opens it (any of a list); null: every signed-in account. */
  permission: string | readonly string[] | null;
  /** The navigation label's catalogue key, for pages in the menu. */
  nav?: string;
};

const DELIVERY = ['delivery.create', 'delivery.send', 'delivery.approve'] as const;

export const ROUTES: AppRoute[] = [
  { path: '', element: <DashboardPage />, permission: null, nav: 'nav.dashboard' },
  { path: 'password', element: <PasswordPage />, permission: null },
  { path: 'staff', element: <StaffListPage />, permission: 'staff.manage', nav: 'nav.staff' },
  { path: 'staff/new', element: <StaffFormPage />, permission: 'staff.manage' },
  { path: 'staff/import', element: <ImportPage />, permission: 'staff.manage' },
  { path: 'staff/:id', element: <StaffFormPage />, permission: 'staff.manage' },
  { path: 'teams', element: <TeamsPage />, permission: 'staff.manage', nav: 'nav.teams' },
  { path: 'service-accounts', element: <ServiceAccountsPage />, permission: 'staff.manage', nav: 'nav.serviceAccounts' },
  { path: 'friends', element: <FriendsPage />, permission: 'friends.read', nav: 'nav.friends' },
  { path: 'catalog', element: <CatalogPage />, permission: 'segment.manage', nav: 'nav.catalog' },
  { path: 'forms', element: <FormsPage />, permission: 'segment.manage', nav: 'nav.forms' },
  { path: 'segments', element: <SegmentsPage />, permission: 'segment.manage', nav: 'nav.segments' },
  { path: 'deliveries', element: <DeliveriesPage />, permission: DELIVERY, nav: 'nav.deliveries' },
  { path: 'deliveries/new', element: <ComposePage />, permission: 'delivery.create' },
  { path: 'deliveries/:id', element: <DeliveryDetailPage />, permission: DELIVERY },
  { path: 'deliveries/:id/edit', element: <ComposePage />, permission: 'delivery.create' },
  { path: 'faq', element: <FaqPage />, permission: 'chatbot.manage', nav: 'nav.faq' },
  { path: 'scenarios', element: <ScenariosPage />, permission: 'chatbot.manage', nav: 'nav.scenarios' },
  { path: 'chatbot/stats', element: <StatsPage />, permission: 'chatbot.manage', nav: 'nav.chatbotStats' },
  { path: 'richmenus', element: <RichMenusPage />, permission: 'richmenu.manage', nav: 'nav.richMenus' },
  { path: 'mail', element: <MailRulesPage />, permission: 'mailin.manage', nav: 'nav.mailRules' },
  { path: 'surveys', element: <SurveysPage />, permission: 'survey.manage', nav: 'nav.surveys' },
  { path: 'surveys/:id', element: <SurveyPage />, permission: 'survey.manage' },
  { path: 'pass', element: <PassPage />, permission: 'pass.manage', nav: 'nav.pass' },
  { path: 'card/settings', element: <CardSettingsPage />, permission: 'card.settings', nav: 'nav.cardSettings' },
  { path: 'card/holders', element: <HoldersPage />, permission: 'card.pii.read', nav: 'nav.cardHolders' },
  { path: 'audit', element: <AuditLogPage />, permission: 'audit.read', nav: 'nav.audit' },
];

/** The navigation: the routes with a label, in this order. */
export const NAV: NavItem[] = ROUTES.filter((r) => r.nav !== undefined).map((r) => ({
  path: `/${r.path}`,
  labelKey: r.nav ?? '',
  permission: r.permission,
}));
