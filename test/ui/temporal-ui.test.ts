import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readFlowInput } from '../../src/cli/input.js';
import { lineageMermaid } from '../../src/cli/lineage.js';
import { loadChain } from '../../src/cli/load-chain.js';
import type { FlowName } from '../../src/flows.js';
import { mermaidToSvg } from '../../src/render/svg.js';
import { startChain, waitChain, type ChainOutcome } from '../../src/temporal/chains.js';
import { agentsYaml, startWorker, testClient, unique, type TestWorker } from '../helpers.js';
import { launchChromium } from './browser.js';

const ROOT = join(import.meta.dirname, '..', '..');
/** Screenshots to look at after a run (git-ignored). */
const SHOTS = join(ROOT, 'test-results', 'ui');

let client: Client;
let closeClient: () => Promise<void>;
let worker: TestWorker;
let rejecting: TestWorker;
let browser: Browser;
let page: Page;

interface Ran extends ChainOutcome {
  readonly workflowId: string;
  readonly runId: string;
}
let patternA: Ran;
let patternC: Ran;
let failedA: Ran;

async function run(flow: FlowName, on: TestWorker): Promise<Ran> {
  const payload = await readFlowInput(flow, join(ROOT, 'examples', `${flow}.yaml`));
  const started = await startChain(client, flow, payload, { id: unique(flow), taskQueue: on.taskQueue });
  return { ...(await waitChain(started.handle)), workflowId: started.workflowId, runId: started.runId };
}

const ui = (path: string): string => `${inject('temporalUiUrl')}/namespaces/${inject('temporalNamespace')}${path}`;
const runPage = (r: Ran): string => ui(`/workflows/${encodeURIComponent(r.workflowId)}/${r.runId}/history`);

/**
 * Waits until `text` shows on the page or in one of its frames (the UI renders user markdown in a sandboxed
 * iframe); throws, failing the test, if it never does.
 */
async function seen(text: string, exact = true): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      // The UI re-renders those frames as details refresh; a frame gone meanwhile is simply not the one.
      const visible = await frame
        .getByText(text, { exact })
        .first()
        .isVisible()
        .catch(() => false);
      if (visible) return;
    }
    await page.waitForTimeout(250);
  }
  await page.screenshot({ path: join(SHOTS, 'not-seen.png') });
  throw new Error(`"${text}" never showed on ${page.url()} (see test-results/ui/not-seen.png)`);
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

type Box = { x: number; y: number; width: number; height: number };

/** Whether `inner` lies within `outer`, give or take a pixel of anti-aliasing. */
function inside(inner: Box | null, outer: Box | null): boolean {
  if (inner === null || outer === null) return false;
  return (
    inner.x >= outer.x - 1 &&
    inner.y >= outer.y - 1 &&
    inner.x + inner.width <= outer.x + outer.width + 1 &&
    inner.y + inner.height <= outer.y + outer.height + 1
  );
}

/**
 * Renders an SVG document on a blank page, checks the browser parses it as XML, screenshots it, and checks it
 * looks right: each label drawn (not collapsed), inside the picture, and inside its own node, edge-label box or
 * stage header as the browser's fonts draw it. Returns the labels, one line per `<tspan>`.
 */
async function renderSvg(svg: string, name: string): Promise<string[]> {
  // A string expression: the test is compiled without the DOM's types.
  const errors: unknown = await page.evaluate(
    `new DOMParser().parseFromString(${JSON.stringify(svg)}, 'image/svg+xml').getElementsByTagName('parsererror').length`,
  );
  expect(errors).toBe(0);
  await page.setContent(`<!doctype html><html><body style="margin:0;background:#fff">${svg}</body></html>`);
  const root = page.locator('body > svg');
  const picture = await root.boundingBox();
  expect(picture?.width).toBeGreaterThan(100);
  expect(picture?.height).toBeGreaterThan(50);
  await root.screenshot({ path: join(SHOTS, `${name}.png`) });

  const labels: string[] = [];
  const groups = root.locator('g.node, g.edge-label, g.subgraph');
  for (let i = 0; i < (await groups.count()); i += 1) {
    const group = groups.nth(i);
    const text = group.locator(':scope > text').first();
    const lines = await text.locator(':scope > tspan').allTextContents();
    const label = lines.length > 0 ? lines.join('\n') : ((await text.textContent()) ?? '');
    labels.push(label);
    const drawn = await text.boundingBox();
    expect(drawn?.width, label).toBeGreaterThan(0);
    expect(inside(drawn, picture), `${label} inside the picture`).toBe(true);
    // A node's or edge label's first shape is its box; a stage's second is its header bar.
    const shapes = group.locator(':scope > rect, :scope > path, :scope > polygon');
    const frame = await shapes.nth((await group.getAttribute('class')) === 'subgraph' ? 1 : 0).boundingBox();
    expect(inside(drawn, frame), `${label} inside its box`).toBe(true);
  }
  return labels;
}

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  ({ client, close: closeClient } = await testClient());
  worker = await startWorker();
  const script = join(ROOT, 'test', 'agents', 'command-agent.mjs');
  rejecting = await startWorker({
    agents: agentsYaml({ builder: `transport: command\ncommand: [node, ${JSON.stringify(script)}, reject]` }),
  });
  [patternA, patternC, failedA] = await Promise.all([
    run('schema-to-pipeline', worker),
    run('pipeline-visualization', worker),
    run('schema-to-pipeline', rejecting),
  ]);
  expect([patternA.status, patternC.status, failedA.status]).toEqual(['COMPLETED', 'COMPLETED', 'FAILED']);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
});
afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await rejecting?.stop();
  await closeClient?.();
});

describe('the Temporal UI shows every handoff', () => {
  it("the run's event history names each handoff by its summary", async () => {
    await page.goto(runPage(patternA));
    await seen(patternA.workflowId);
    await page.getByText('Compact', { exact: true }).click();
    await seen('schema → stream · 3 source tables');
    await seen('stream → builder · 3 connector requirements');
    await shot('run-history-compact');
  });

  it('the timeline labels each activity with its summary', async () => {
    await page.goto(runPage(patternA));
    await page
      .getByRole('link', { name: 'Timeline' })
      .or(page.getByRole('tab', { name: 'Timeline' }))
      .first()
      .click();
    await seen('deliverHandoff • schema → stream · 3 source tables', false);
    await seen('deliverHandoff • stream → builder · 3 connector requirements', false);
    await shot('run-timeline');
  });

  it("user metadata: the chain's summary, its agents and the live state of each handoff", async () => {
    await page.goto(runPage(failedA));
    await page
      .getByRole('link', { name: 'User Metadata' })
      .or(page.getByRole('tab', { name: 'User Metadata' }))
      .first()
      .click();
    await seen('schema-to-pipeline (Pattern A) · input', false);
    await seen('✔ 1. schema → stream: completed', false);
    await seen('✖ 2. stream → builder: failed — AgentRejected', false);
    await seen('hands over', false);
    await seen('stream-to-builder', false);
    await shot('run-user-metadata-failed');
  });

  it("the run's search attributes: flow, agents, the step it failed at", async () => {
    await page.goto(runPage(failedA));
    await page
      .getByRole('link', { name: 'Search Attributes' })
      .or(page.getByRole('tab', { name: 'Search Attributes' }))
      .first()
      .click();
    await seen('"StreamFlow": "schema-to-pipeline"', false);
    await seen('"StreamStep": "2 stream→builder"', false);
    await seen('StreamAgents', false);
    await shot('run-search-attributes');
  });

  it('the workflow list filtered by StreamFlow finds the run, and only runs of that flow', async () => {
    await page.goto(ui(`/workflows?query=${encodeURIComponent('StreamFlow="schema-to-pipeline"')}`));
    await seen(patternA.workflowId);
    await seen(failedA.workflowId);
    expect(await page.getByText(patternC.workflowId, { exact: true }).count()).toBe(0);
    await shot('workflows-streamflow');
    // The same page with the other flow's filter shows the other run: the filter is applied, not ignored.
    await page.goto(ui(`/workflows?query=${encodeURIComponent('StreamFlow="pipeline-visualization"')}`));
    await seen(patternC.workflowId);
    expect(await page.getByText(patternA.workflowId, { exact: true }).count()).toBe(0);
  });
});

describe('diagrams open and look right in a browser', () => {
  it("Canvas's pipeline.svg artifact", async () => {
    const artifact = patternC.state?.artifacts.find((a) => a.name === 'pipeline.svg');
    expect(artifact).toBeDefined();
    const labels = await renderSvg(await readFile(artifact?.path ?? '', 'utf8'), 'canvas-pipeline');
    expect(labels).toEqual(
      expect.arrayContaining(['Sources', 'Processing', 'Sinks', 'PostgreSQL', 'S3', 'Kafka', 'Spark']),
    );
    expect(labels).toEqual(expect.arrayContaining(['Snowflake', 'Redis', 'CDC', 'batch', 'stream', 'load', 'serve']));
  });

  it('lineage --format svg of a failed chain', async () => {
    const svg = await mermaidToSvg(lineageMermaid(await loadChain(client, failedA.workflowId), []));
    const labels = await renderSvg(svg, 'lineage-failed');
    expect(labels).toEqual(
      expect.arrayContaining([
        'schema',
        'stream',
        'builder',
        '1 · schema-to-stream\n↩ stream-to-builder\n1 attempt',
        '2 · stream-to-builder\n↩ builder-output\n✖ AgentRejected · 1 attempt',
      ]),
    );
    // The failed agent is drawn in red.
    const fill = await page.locator('g.node[data-id="a_builder"] rect').first().getAttribute('fill');
    expect(fill).toBe('#fde2e1');
  });
});
