import { StreamToCanvas } from '../../contracts/stream-to-canvas.js';
import { mermaidLabel } from '../../render/mermaid.js';
import { mermaidToSvg } from '../../render/svg.js';
import { reject, unsupported } from './reject.js';
import type { BuiltinAgent } from './types.js';

const SVG_ARTIFACT = 'pipeline.svg';

/** A Mermaid node id for a component name (ids must be plain words; labels keep the real name). */
function nodeId(name: string): string {
  return `n_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

function label(text: string): string {
  return mermaidLabel([text]);
}

/** Renders the diagram spec as a Mermaid flowchart: one subgraph per stage, labelled edges. */
export function toMermaid(spec: StreamToCanvas): string {
  const lines = ['flowchart LR'];
  const stage = (id: string, title: string, names: readonly string[], open: string, close: string): void => {
    if (names.length === 0) return;
    lines.push(`  subgraph ${id}[${label(title)}]`);
    for (const name of names) lines.push(`    ${nodeId(name)}${open}${label(name)}${close}`);
    lines.push('  end');
  };
  stage('sources', 'Sources', spec.components.sources, '[(', ')]');
  stage('processing', 'Processing', spec.components.processing, '[[', ']]');
  stage('sinks', 'Sinks', spec.components.sinks, '[(', ')]');
  for (const edge of spec.edges) {
    const text = edge.label !== undefined ? `|${label(edge.label)}|` : '';
    lines.push(`  ${nodeId(edge.from)} -->${text} ${nodeId(edge.to)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The built-in Canvas: the diagram spec as a Mermaid flowchart (pipeline.mmd) and as SVG (pipeline.svg). The SVG
 * goes out as an artifact only, named in `svg_artifact`: inline it would swell every chain's history.
 */
export const canvas: BuiltinAgent = async (envelope) => {
  if (envelope.input_contract !== 'stream-to-canvas' || envelope.reply_contract !== 'canvas-output') {
    throw unsupported('canvas', envelope.input_contract, envelope.reply_contract);
  }
  const spec = StreamToCanvas.parse(envelope.payload);
  const diagram = toMermaid(spec);
  const nodes = spec.components.sources.length + spec.components.processing.length + spec.components.sinks.length;
  let svg: string;
  try {
    svg = await mermaidToSvg(diagram);
  } catch (err) {
    // The same diagram fails the same way on every retry.
    throw reject('canvas', `cannot render the diagram as SVG: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    format: 'mermaid',
    diagram,
    nodes,
    edges: spec.edges.length,
    svg_artifact: SVG_ARTIFACT,
    artifacts: [
      { name: 'pipeline.mmd', content: diagram },
      { name: SVG_ARTIFACT, content: svg },
    ],
  };
};
