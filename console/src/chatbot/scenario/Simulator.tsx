import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { request } from '../../api/client';
import { graphql } from '../../gql';
import { useAction } from '../../ui/useAction';

const Simulate = graphql(`
  query SimulateScenario($id: Int!, $version: Int!, $position: JSON, $step: SimulationStep) {
    simulateScenario(id: $id, version: $version, position: $position, step: $step) {
      messages position visited leftScenario faqAnswer
    }
  }
`);

type Said = { who: 'bot' | 'resident'; text: string };
type QuickReply = { label: string; node: string; index: number };
type Column = { title?: string; text: string };
type LineMessage = {
  type: string;
  text?: string;
  altText?: string;
  template?: { type: string; columns?: Column[] };
  quickReply?: { items: { action: { label: string; data: string } }[] };
};

/** How a message reads in the simulator's chat: a carousel as its cards. */
function shown(m: LineMessage, t: (k: string) => string): string {
  const columns = m.template?.columns;
  if (columns) return `${t('scenario.simCarousel')}${columns.map((c) => `［${c.title ? `${c.title}：` : ''}${c.text}］`).join('')}`;
  return m.text ?? m.altText ?? `（${m.type}）`;
}

/** A chat with one version, as a resident would have it: nothing is stored or sent to LINE. */
export function Simulator({ id, version }: { id: number; version: number }) {
  const { t } = useTranslation();
  const [log, setLog] = useState<Said[]>([]);
  const [position, setPosition] = useState<unknown>(null);
  const [quick, setQuick] = useState<QuickReply[]>([]);
  const [text, setText] = useState('');
  const { run, pending } = useAction([]);
  const turn = (step: { text?: string; choiceNode?: string; choiceIndex?: number } | null, said?: string) =>
    run(async () => {
      const r = await request(Simulate, { id, version, position: step ? position : null, step });
      const sim = r.simulateScenario;
      const messages = sim.messages as LineMessage[];
      const bot: Said[] = messages.map((m) => ({ who: 'bot', text: shown(m, t) }));
      if (sim.faqAnswer) bot.push({ who: 'bot', text: sim.faqAnswer });
      if (sim.leftScenario) bot.push({ who: 'bot', text: t('scenario.simLeft') });
      setLog((l) => [...(step ? l : []), ...(said ? [{ who: 'resident' as const, text: said }] : []), ...bot]);
      setPosition(sim.position ?? null);
      const last = messages.find((m) => m.quickReply);
      setQuick(
        (last?.quickReply?.items ?? []).map((i) => {
          const parts = i.action.data.split(':');
          return { label: i.action.label, node: parts[3] ?? '', index: Number(parts[4]) };
        }),
      );
      if (!sim.position) setQuick([]);
    });
  return (
    <section className="simulator" aria-labelledby="sim-title">
      <h3 id="sim-title">{t('scenario.simulator', { version })}</h3>
      <p className="help">{t('scenario.simHelp')}</p>
      <button type="button" onClick={() => void turn(null)} disabled={pending}>
        {t('scenario.simStart')}
      </button>
      <ol className="chat" data-testid="simulator-log">
        {log.map((s, i) => (
          <li key={i} className={`chat-${s.who}`}>
            {s.text}
          </li>
        ))}
      </ol>
      {quick.length > 0 && (
        <div className="quick-replies" role="group" aria-label={t('scenario.quickReplies')}>
          {quick.map((q) => (
            <button key={q.index} type="button" disabled={pending} onClick={() => void turn({ choiceNode: q.node, choiceIndex: q.index }, q.label)}>
              {q.label}
            </button>
          ))}
        </div>
      )}
      {position !== null && (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (text.trim()) void turn({ text }, text);
            setText('');
          }}
        >
          <label>
            {t('scenario.simType')} <input value={text} maxLength={1000} onChange={(e) => setText(e.target.value)} />
          </label>{' '}
          <button type="submit" disabled={pending}>
            {t('scenario.simSend')}
          </button>
        </form>
      )}
    </section>
  );
}
