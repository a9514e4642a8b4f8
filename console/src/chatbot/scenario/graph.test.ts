import { describe, expect, it } from 'vitest';
import { addNode, connect, deleteNode, edges, layout, replaceNode, type Graph } from './graph';

const g: Graph = {
  start: 'ask',
  nodes: [
    { id: 'ask', type: 'question', text: 'どれ？', key: 'k', choices: [{ label: 'A', next: 'a' }], next: 'end' },
    { id: 'a', type: 'message', text: 'Aです', next: 'end' },
    { id: 'end', type: 'end', text: '' },
  ],
};

describe('scenario graph edits', () => {
  it('lays nodes out in layers by distance from the start', () => {
    const at = layout(g);
    expect(at.get('ask')!.x).toBeLessThan(at.get('a')!.x);
    expect(at.get('a')!.x).toBe(at.get('end')!.x);
    expect(at.get('a')!.y).not.toBe(at.get('end')!.y);
  });

  it('adds a node after another and connects it', () => {
    const { graph, id } = addNode(g, 'message', 'a');
    expect(id).toBe('message_1');
    expect(edges(graph)).toContainEqual({ from: 'a', to: 'message_1', label: '' });
    expect(connect(graph, 'message_1', 'end').nodes.find((n) => n.id === 'message_1')).toMatchObject({ next: 'end' });
  });

  it('deleting a node leaves loose ends, renaming keeps the edges', () => {
    const cut = deleteNode(g, 'a');
    expect(cut.nodes.map((n) => n.id)).toEqual(['ask', 'end']);
    expect(edges(cut)).toEqual([{ from: 'ask', to: 'end', label: '' }]);
    const renamed = replaceNode(g, 'end', { id: 'bye', type: 'end', text: 'さようなら' });
    expect(edges(renamed).filter((e) => e.to === 'bye')).toHaveLength(2);
    expect(deleteNode(g, 'ask').start).toBe('a');
  });
});

describe('connecting a node that waits for a tap', () => {
  it('adds a choice leading to the new node', () => {
    const menu: Graph = { start: 'm', nodes: [{ id: 'm', type: 'message', text: 'どれ？', choices: [{ label: 'A', next: 'm' }] }] };
    const { graph, id } = addNode(menu, 'end', 'm');
    expect(graph.nodes[0]).toMatchObject({ choices: [{ label: 'A', next: 'm' }, { label: '選択肢2', next: id }] });
  });
});
