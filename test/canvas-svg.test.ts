import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { canvas } from '../src/agents/builtin/canvas.js';
import { diagramSpec } from '../src/agents/builtin/stream.js';
import type { Envelope } from '../src/agents/transport.js';
import { readFlowInput } from '../src/cli/input.js';
import { CanvasOutput } from '../src/contracts/canvas-output.js';
import { PipelineRequest } from '../src/contracts/pipeline-request.js';
import type { StreamToCanvas } from '../src/contracts/stream-to-canvas.js';
import { startChain, waitChain } from '../src/temporal/chains.js';
import { startWorker, testClient, unique, type TestWorker } from './helpers.js';
import { pixel, rasterize, rectOf } from './raster.js';
import { svgTexts, xmlProblems } from './xml.js';

const EXAMPLE_C = join(import.meta.dirname, '..', 'examples', 'pipeline-visualization.yaml');

function envelope(payload: StreamToCanvas): Envelope {
  return {
    chain_id: 'test',
    flow: 'pipeline-visualization',
    step: 2,
    from: 'stream',
    to: 'canvas',
    input_contract: 'stream-to-canvas',
    reply_contract: 'canvas-output',
    payload,
  };
}

const ctx = {
  signal: AbortSignal.timeout(30_000),
  warehouse: '',
  outDir: '',
  env: process.env,
  readChain: () => Promise.reject(new Error('no chains in this test')),
};

/** The SVG artifact of a Canvas reply. */
function svgOf(reply: Record<string, unknown>): string {
  const artifacts = PipelineArtifacts.parse(reply.artifacts);
  const svg = artifacts.find((a) => a.name === reply.svg_artifact)?.content;
  if (svg === undefined) throw new Error(`no artifact named ${String(reply.svg_artifact)}`);
  return svg;
}

const PipelineArtifacts = z.array(z.object({ name: z.string(), content: z.string() }));

describe('the built-in Canvas renders SVG', () => {
  it('pipeline.svg: well-formed, self-contained, every component, stage and edge label', async () => {
    const spec = diagramSpec(PipelineRequest.parse(await readFlowInput('pipeline-visualization', EXAMPLE_C)));
    const reply = await canvas(envelope(spec), ctx);
    expect(CanvasOutput.safeParse(reply).success).toBe(true);
    expect(reply.svg_artifact).toBe('pipeline.svg');
    expect(PipelineArtifacts.parse(reply.artifacts).map((a) => a.name)).toEqual(['pipeline.mmd', 'pipeline.svg']);
    // The reply keeps only the Mermaid source: the SVG would swell the workflow history.
    expect(JSON.stringify(reply.diagram)).not.toContain('<svg');

    const svg = svgOf(reply);
    expect(svg.startsWith('<svg ')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg).not.toMatch(/@import|https?:\/\/(?!www\.w3\.org)/);
    expect(svg).not.toMatch(/var\(|color-mix|--[\w-]+\s*:/);
    const texts = svgTexts(svg);
    const components = [...spec.components.sources, ...spec.components.processing, ...spec.components.sinks];
    expect(texts).toEqual(expect.arrayContaining([...components, 'Sources', 'Processing', 'Sinks']));
    expect(texts).toEqual(expect.arrayContaining(spec.edges.map((e) => e.label)));
    expect(svg).toContain('data-shape="cylinder"');
    expect(svg).toContain('data-shape="subroutine"');
    expect(svg).toContain('data-from="n_PostgreSQL" data-to="n_Kafka"');
  });

  it('pipeline.svg looks the same outside a browser: white background, literal fills, readable edge labels', async () => {
    const spec = diagramSpec(PipelineRequest.parse(await readFlowInput('pipeline-visualization', EXAMPLE_C)));
    const svg = svgOf(await canvas(envelope(spec), ctx));
    const image = await rasterize(svg);
    expect(pixel(image, 1, 1)).toEqual([255, 255, 255, 255]);
    // An edge label's box: the renderer fills it with the background (without literal colours, solid black).
    const label = rectOf(svg, 'class="edge-label"');
    expect(pixel(image, label.x + 3, label.y + 3)).toEqual([255, 255, 255, 255]);
    // A node: its fill colour as written in the SVG, not black.
    const kafka = rectOf(svg, 'data-id="n_Kafka"');
    const fill = /data-id="n_Kafka"[\s\S]*?<rect[^>]* fill="#([0-9a-f]{6})"/.exec(svg)?.[1] ?? '';
    const written = [0, 2, 4].map((i) => parseInt(fill.slice(i, i + 2), 16));
    const [r, g, b] = pixel(image, kafka.x + kafka.width / 2, kafka.y + kafka.height - 3);
    expect([r, g, b].map((c, i) => Math.abs(c - (written[i] ?? -99)))).toEqual([0, 0, 0]);
    expect(r + g + b).toBeGreaterThan(600);
  });

  it('keeps names with quotes, ampersands and angle brackets intact in Mermaid and SVG', async () => {
    const odd = 'Orders "raw" & <staging>';
    const reply = await canvas(
      envelope({
        diagram_type: 'data_flow',
        components: { sources: [odd], processing: ['Spark'], sinks: ['Lake'] },
        edges: [
          { from: odd, to: 'Spark', label: 'a & b' },
          { from: 'Spark', to: 'Lake' },
        ],
      }),
      ctx,
    );
    expect(reply.diagram).toContain('[("Orders &quot;raw&quot; &amp; &lt;staging&gt;")]');
    const svg = svgOf(reply);
    expect(xmlProblems(svg)).toEqual([]);
    expect(svgTexts(svg)).toEqual(expect.arrayContaining([odd, 'a & b', 'Spark', 'Lake']));
  });
});

describe('Pattern C through the worker', () => {
  let client: Client;
  let closeClient: () => Promise<void>;
  let worker: TestWorker;
  beforeAll(async () => {
    ({ client, close: closeClient } = await testClient());
    worker = await startWorker();
  });
  afterAll(async () => {
    await worker.stop();
    await closeClient();
  });

  it('writes pipeline.svg next to pipeline.mmd and names it in the reply', async () => {
    const payload = await readFlowInput('pipeline-visualization', EXAMPLE_C);
    const started = await startChain(client, 'pipeline-visualization', payload, {
      id: unique('canvas-svg'),
      taskQueue: worker.taskQueue,
    });
    const { state } = await waitChain(started.handle);
    expect(state?.output).toMatchObject({ format: 'mermaid', svg_artifact: 'pipeline.svg' });
    const artifact = state?.artifacts.find((a) => a.name === 'pipeline.svg');
    expect(artifact?.path).toMatch(/2-canvas\/pipeline\.svg$/);
    const svg = await readFile(artifact?.path ?? '', 'utf8');
    expect(Buffer.byteLength(svg)).toBe(artifact?.bytes);
    expect(xmlProblems(svg)).toEqual([]);
    expect(svgTexts(svg)).toEqual(expect.arrayContaining(['PostgreSQL', 'Kafka', 'CDC', 'Redis']));
  });
});
