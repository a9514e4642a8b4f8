import { describe, expect, it } from 'vitest';
import { recipientsCell } from './recipients';

const t = ((key: string, o?: { count: string }) => (key === 'delivery.expectedCell' ? `${o?.count}（予定）` : key)) as never;

describe('recipientsCell', () => {
  it('shows the expected count before the start, not 0', () => {
    expect(recipientsCell({ status: 'SCHEDULED', recipients: 0, expectedRecipients: 1234 }, t)).toBe('1,234（予定）');
    expect(recipientsCell({ status: 'DRAFT', recipients: 0, expectedRecipients: 3 }, t)).toBe('3（予定）');
  });
  it('shows the fixed recipients once started and nothing for a cancelled one', () => {
    expect(recipientsCell({ status: 'COMPLETED', recipients: 20000, expectedRecipients: 20000 }, t)).toBe('20,000');
    expect(recipientsCell({ status: 'CANCELLED', recipients: 0, expectedRecipients: 9 }, t)).toBe('—');
  });
});
