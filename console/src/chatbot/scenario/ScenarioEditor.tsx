import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../../api/client';
import { graphql } from '../../gql';
import { keys } from '../../api/keys';
import { waiting } from '../../ui/QueryState';
import { useAction } from '../../ui/useAction';
import { formatDateTime } from '../../ui/format';
import { FlowChart, type NodeFigures } from './FlowChart';
import { NodePanel } from './NodePanel';
import { Simulator } from './Simulator';
import { addNode, deleteNode, replaceNode, type Graph } from './graph';

const ScenarioQuery = graphql(`
  query ChatbotScenario($id: Int!, $from: NaiveDate!, $to: NaiveDate!) {
    chatbotScenario(id: $id) {
      id name description triggers liveVersion draftVersion
      versions { version graph publishedAt live createdAt }
    }
    chatbotStatistics(from: $from, to: $to) { nodes { scenarioId nodeId visits dropped } }
  }
`);
const Save = graphql(`
  mutation SaveScenarioDraft($id: Int!, $input: ScenarioInput!) { saveScenarioDraft(id: $id, input: $input) { version } }
`);
const Publish = graphql(`
  mutation PublishScenario($id: Int!, $version: Int!) { publishScenario(id: $id, version: $version) { liveVersion } }
`);
const Rollback = graphql(`
  mutation RollbackScenario($id: Int!, $version: Int!) { rollbackScenario(id: $id, version: $version) { liveVersion } }
`);
const Check = graphql(`
  query CheckScenarioGraph($graph: JSON!) { checkScenarioGraph(graph: $graph) { problems { field message } unreachable } }
`);

const isoDay = (d: Date) => new Date(d.getTime() + 9 * 3600_000).toISOString().slice(0, 10);

/** One scenario: the flow chart with the selected node's form, versions, the simulator. */
export function ScenarioEditor({ id, onClose }: { id: number; onClose: () => void }) {
  const { t } = useTranslation();
  const to = isoDay(new Date());
  const from = isoDay(new Date(Date.now() - 29 * 86400_000));
  const q = useQuery({ queryKey: keys.scenario(id), queryFn: () => request(ScenarioQuery, { id, from, to }) });
  return (
    waiting(t, q) ??
    (q.data?.chatbotScenario ? (
      <Loaded
        key={`${q.data.chatbotScenario.versions[0]?.version ?? 0}`}
        scenario={q.data.chatbotScenario}
        figures={Object.fromEntries(q.data.chatbotStatistics.nodes.filter((n) => n.scenarioId === id).map((n) => [n.nodeId, { visits: Number(n.visits), dropped: Number(n.dropped) }])) as NodeFigures}
        onClose={onClose}
      />
    ) : (
      <p>{t('scenario.notFound')}</p>
    ))
  );
}

type Loaded = {
  id: number;
  name: string;
  description: string;
  triggers: string[];
  liveVersion?: number | null;
  draftVersion?: number | null;
  versions: { version: number; graph: unknown; publishedAt?: string | null; live: boolean; createdAt: string }[];
};

function Loaded({ scenario, figures, onClose }: { scenario: Loaded; figures: NodeFigures; onClose: () => void }) {
  const { t } = useTranslation();
  const newest = scenario.versions[0];
  const [graph, setGraph] = useState<Graph>((newest?.graph as Graph) ?? { start: '', nodes: [] });
  const [undo, setUndo] = useState<Graph[]>([]);
  const [selected, setSelected] = useState<string | null>(graph.start || null);
  const [name, setName] = useState(scenario.name);
  const [triggers, setTriggers] = useState(scenario.triggers.join('、'));
  const [problems, setProblems] = useState<{ field: string; message: string }[] | null>(null);
  const [simVersion, setSimVersion] = useState<number | null>(null);
  const { run, pending } = useAction([keys.scenariosAll]);
  const change = (next: Graph) => {
    setUndo((u) => [...u.slice(-49), graph]);
    setGraph(next);
    setProblems(null);
  };
  const node = graph.nodes.find((n) => n.id === selected) ?? null;
  // graph.nodes[3].text → the node at index 3.
  const problemNodes = new Set(
    (problems ?? []).flatMap((p) => {
      const m = /nodes\[(\d+)\]/.exec(p.field);
      return m ? [graph.nodes[Number(m[1])]?.id ?? ''] : [];
    }),
  );
  const input = () => ({ name, description: scenario.description, triggers: triggers.split(/[、,]/).map((s) => s.trim()).filter(Boolean), graph });
  const save = () => request(Save, { id: scenario.id, input: input() }).then((r) => r.saveScenarioDraft.version);
  return (
    <section className="scenario-editor" aria-labelledby="scenario-title">
      <h2 id="scenario-title">{t('scenario.editing', { name: scenario.name })}</h2>
      <p className="help">
        {scenario.liveVersion ? t('scenario.liveIs', { v: scenario.liveVersion }) : t('scenario.notLive')} {scenario.draftVersion ? t('scenario.draftIs', { v: scenario.draftVersion }) : ''}
      </p>
      <div className="inline-form">
        <label>
          {t('scenario.name')} <input value={name} maxLength={60} onChange={(e) => setName(e.target.value)} />
        </label>{' '}
        <label>
          {t('scenario.triggers')} <input value={triggers} onChange={(e) => setTriggers(e.target.value)} />
        </label>
      </div>
      <p className="toolbar">
        <button type="button" onClick={() => change(addNode(graph, 'message').graph)}>
          {t('scenario.addNode')}
        </button>{' '}
        <button
          type="button"
          disabled={undo.length === 0}
          onClick={() => {
            setGraph(undo[undo.length - 1]!);
            setUndo((u) => u.slice(0, -1));
          }}
        >
          {t('scenario.undo')}
        </button>{' '}
        <button
          type="button"
          onClick={() =>
            void run(async () => {
              const r = await request(Check, { graph });
              setProblems(r.checkScenarioGraph.problems);
            })
          }
        >
          {t('scenario.check')}
        </button>{' '}
        <button type="button" disabled={pending} onClick={() => void run(async () => setSimVersion(await save()), t('scenario.saved'))}>
          {t('scenario.saveDraft')}
        </button>{' '}
        <button
          type="button"
          className="primary"
          disabled={pending}
          onClick={() =>
            void run(async () => {
              const r = await request(Check, { graph });
              setProblems(r.checkScenarioGraph.problems);
              if (r.checkScenarioGraph.problems.length) throw new Error(t('scenario.cannotPublish'));
              const v = await save();
              await request(Publish, { id: scenario.id, version: v });
            }, t('scenario.published'))
          }
        >
          {t('scenario.publish')}
        </button>{' '}
        <button type="button" onClick={onClose}>
          {t('scenario.close')}
        </button>
      </p>
      {problems && (
        <div role="status" className={problems.length ? 'problems' : 'help'} data-testid="scenario-problems">
          {problems.length === 0 ? t('scenario.noProblems') : problems.map((p) => <p key={p.field + p.message}>{p.message}</p>)}
        </div>
      )}
      <div className="scenario-layout">
        <FlowChart graph={graph} selected={selected} onSelect={setSelected} figures={figures} problems={problemNodes} />
        {node && (
          <NodePanel
            key={`${node.id}-${undo.length}`}
            graph={graph}
            node={node}
            errors={(problems ?? []).filter((p) => problemNodes.has(node.id) && p.field.includes(`nodes[${graph.nodes.indexOf(node)}]`)).map((p) => p.message)}
            onApply={(n) => {
              change(replaceNode(graph, node.id, n));
              setSelected(n.id);
            }}
            onDelete={() => {
              change(deleteNode(graph, node.id));
              setSelected(null);
            }}
            onAddAfter={(type) => {
              const r = addNode(graph, type, node.id);
              change(r.graph);
              setSelected(r.id);
            }}
            onStart={() => change({ ...graph, start: node.id })}
          />
        )}
      </div>
      <h3>{t('scenario.versions')}</h3>
      <table data-testid="scenario-versions">
        <thead>
          <tr>
            <th scope="col">{t('scenario.version')}</th>
            <th scope="col">{t('scenario.state')}</th>
            <th scope="col">{t('scenario.createdAt')}</th>
            <th scope="col">{t('faq.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {scenario.versions.map((v) => (
            <tr key={v.version}>
              <td>{t('scenario.versionN', { v: v.version })}</td>
              <td>{v.live ? t('scenario.stateLive') : v.publishedAt ? t('scenario.statePast') : t('scenario.stateDraft')}</td>
              <td>{formatDateTime(v.createdAt)}</td>
              <td>
                <button type="button" onClick={() => setSimVersion(v.version)}>
                  {t('scenario.tryVersion')}
                </button>{' '}
                {v.publishedAt && !v.live && (
                  <button type="button" onClick={() => void run(() => request(Rollback, { id: scenario.id, version: v.version }), t('scenario.rolledBack', { v: v.version }))}>
                    {t('scenario.rollback')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {simVersion !== null && <Simulator key={simVersion} id={scenario.id} version={simVersion} />}
    </section>
  );
}
