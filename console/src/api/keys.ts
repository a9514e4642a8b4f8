// Every query key in one place: a page reads with these and a change
// invalidates with the same ones, so the two cannot drift apart. A key's
// first part names what is cached; the rest narrows it (invalidating the
// first part drops every narrowing).

export const keys = {
  viewer: ['viewer'] as const,
  catalogue: ['catalogue'] as const,
  teams: ['teams'] as const,
  staffAccounts: (filter?: unknown, offset?: number) => ['staffAccounts', filter, offset] as const,
  staffAccountsAll: ['staffAccounts'] as const,
  staffAccount: (id: string | undefined) => ['staffAccount', id] as const,
  serviceAccounts: ['serviceAccounts'] as const,
  auditLog: (filter: unknown, offset: number) => ['auditLog', filter, offset] as const,
  friendCounts: ['friendCounts'] as const,
  friendDays: (from: string) => ['friendCounts', 'days', from] as const,
  registrationCounts: ['friendCounts', 'registrations'] as const,
  recentDeliveries: ['deliveries', 'recent'] as const,
  friends: (segmentId: number | null, offset: number) => ['friends', segmentId, offset] as const,
  segmentChoices: ['segmentChoices'] as const,
  catalogPage: ['catalogPage'] as const,
  segmentsPage: ['segmentsPage'] as const,
  formsPage: ['formsPage'] as const,
  audienceCount: (expression: unknown) => ['audienceCount', expression] as const,
  deliveries: (status?: unknown, offset?: number) => ['deliveries', status, offset] as const,
  deliveriesAll: ['deliveries'] as const,
  delivery: (id: number | null) => ['delivery', id] as const,
  composeChoices: ['composeChoices'] as const,
  deliveryTargetCount: (target: unknown) => ['deliveryTargetCount', target] as const,
  passVersions: ['passVersions'] as const,
  faqEntries: (search: string, offset: number) => ['faqEntries', search, offset] as const,
  faqEntriesAll: ['faqEntries'] as const,
  faqSearch: (text: string) => ['faqEntries', 'search', text] as const,
  scenariosAll: ['scenarios'] as const,
  scenario: (id: number) => ['scenarios', id] as const,
  chatbotStats: (from: string, to: string) => ['chatbotStats', from, to] as const,
  cardSettings: ['cardSettings'] as const,
  cardHolders: (name: string | null, offset: number) => ['cardHolders', name, offset] as const,
};
