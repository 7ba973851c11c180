import { describe, expect, it } from 'vitest';
import { AgentsFileError, parseAgentsFile } from '../src/agents/config.js';
import { AgentRegistry, DEFAULT_POLICY } from '../src/agents/registry.js';
import { agentsYaml } from './helpers.js';

function issuesOf(text: string, env: NodeJS.ProcessEnv = {}): { path: string; message: string; line?: number }[] {
  try {
    parseAgentsFile(text, 'agents.yaml', env);
  } catch (err) {
    if (err instanceof AgentsFileError)
      return err.issues.map(({ path, message, line }) => ({ path, message, ...(line !== undefined ? { line } : {}) }));
    throw err;
  }
  return [];
}

describe('agents.yaml', () => {
  it('the committed file is valid', async () => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(new URL('../agents.yaml', import.meta.url), 'utf8');
    expect(issuesOf(text)).toEqual([]);
  });

  it('per-agent timeout and retry override the defaults, which override ours', () => {
    const file = parseAgentsFile(
      agentsYaml(
        {
          builder: 'transport: http\nurl: http://127.0.0.1:9/x\ntimeout: 1.5s\nretry: { max_attempts: 8, backoff: 3 }',
        },
        'defaults:\n  timeout: 2m\n  retry: { initial_interval: 250ms }\n',
      ),
      'agents.yaml',
    );
    const registry = new AgentRegistry(file);
    expect(registry.policy('builder')).toEqual({
      ...DEFAULT_POLICY,
      transport: 'http',
      binding: file.agents.builder,
      timeoutMs: 1500,
      maximumAttempts: 8,
      backoffCoefficient: 3,
      initialIntervalMs: 250,
    });
    expect(registry.policy('stream')).toMatchObject({
      transport: 'builtin',
      timeoutMs: 120_000,
      initialIntervalMs: 250,
      maximumAttempts: 5,
    });
  });

  it.each([
    [
      'an unknown transport',
      agentsYaml({ builder: 'transport: grpc' }),
      'agents.builder.transport',
      'expected one of "builtin" | "http" | "command", got "grpc"',
      7,
    ],
    [
      'a URL that is not http',
      agentsYaml({ builder: 'transport: http\nurl: ftp://x/y' }),
      'agents.builder.url',
      'expected an http:// or https:// URL',
      8,
    ],
    [
      'a bad duration',
      agentsYaml({ stream: 'transport: builtin\ntimeout: soon' }),
      'agents.stream.timeout',
      'expected a duration such as "30s"',
      6,
    ],
    [
      'a command that is a string',
      agentsYaml({ radar: 'transport: command\ncommand: "python3 radar.py"' }),
      'agents.radar.command',
      'expected array, got "python3 radar.py"',
      14,
    ],
    [
      'a misspelt agent',
      agentsYaml().replace('  builder:', '  bulider:'),
      'agents.bulider',
      'did you mean "builder"',
      6,
    ],
    [
      'a misspelt option',
      agentsYaml({ builder: 'transport: http\nurl: http://x/y\ntimout: 5s' }),
      'agents.builder.timout',
      'did you mean "timeout"',
      9,
    ],
  ])('%s is refused with where and what', (_name, text, path, message, line) => {
    const [issue] = issuesOf(text).filter((i) => i.path === path);
    expect(issue?.message).toContain(message);
    if (line !== undefined) expect(issue?.line).toBe(line);
  });

  it('a receiving agent without a binding is refused', () => {
    const text = agentsYaml().replace(/ {2}radar:\n {4}transport: builtin\n/, '');
    expect(issuesOf(text)).toEqual([
      { path: 'agents.radar', message: 'missing binding (every agent that receives a handoff needs one)' },
    ]);
  });

  it('a token variable that is not set is refused at start, not at the first handoff', () => {
    const text = agentsYaml({ builder: 'transport: http\nurl: http://x/y\ntoken_env: BUILDER_TOKEN' });
    expect(issuesOf(text, {})).toEqual([
      {
        path: 'agents.builder.token_env',
        message: 'expected environment variable BUILDER_TOKEN to be set, got nothing',
      },
    ]);
    expect(issuesOf(text, { BUILDER_TOKEN: 't' })).toEqual([]);
  });
});

describe('a misspelt key in agents.yaml', () => {
  it.each(['trasnport', 'transprot', 'tranport'])(
    '%s gets "did you mean transport", not "missing transport"',
    (key) => {
      expect(issuesOf(agentsYaml({ builder: `${key}: http\nurl: http://127.0.0.1:9/x` }))).toEqual([
        {
          path: `agents.builder.${key}`,
          message: `unknown field "${key}"; did you mean "transport"?`,
          line: expect.any(Number),
        },
      ]);
    },
  );

  it('a binding without anything like a transport is still "missing"', () => {
    expect(issuesOf(agentsYaml({ builder: 'url: http://127.0.0.1:9/x' }))).toEqual([
      {
        path: 'agents.builder.transport',
        message: 'missing required field (expected one of "builtin" | "http" | "command")',
        line: expect.any(Number),
      },
    ]);
  });
});
