import { SandboxError, type SandboxClient, type Session } from '@sandbox/sdk';
import { diffView, h, replace, shortHash, when } from './dom.js';
import { terminal } from './terminal.js';

export interface PanelContext {
  client: SandboxClient;
  session: Session;
  notify(text: string, isError?: boolean): void;
  /** Registers what to stop (subscriptions) when the user leaves the panel. */
  onLeave(stop: () => void): void;
}

export interface Panel {
  id: string;
  title: string;
  render(body: HTMLElement, context: PanelContext): void;
}

function failure(context: PanelContext) {
  return (error: unknown) => context.notify(error instanceof SandboxError ? `${error.message} (${error.code})` : String(error), true);
}

/** The workspace as a tree of directories, and a text editor for one file. */
const files: Panel = {
  id: 'files',
  title: 'Files',
  render(body, context) {
    const { client, session } = context;
    const tree = h('ul', { class: 'tree', 'data-testid': 'file-tree' });
    const editor = h('textarea', { class: 'editor', spellcheck: 'false', 'data-testid': 'editor', placeholder: 'Select a file' });
    const name = h('input', { placeholder: 'path of the file', 'data-testid': 'editor-path' });
    let dir = '.';
    const open = async (path: string) => {
      try {
        editor.value = await client.files.read(session.id, path);
        name.value = path;
      } catch (error) {
        failure(context)(error);
      }
    };
    const list = async (path: string) => {
      try {
        const entries = (await client.files.list(session.id, path)).sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type === 'DIR' ? -1 : 1));
        dir = path;
        const parent = path === '.' ? null : path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '.';
        replace(
          tree,
          h('li', { class: 'muted' }, `/${path === '.' ? '' : path}`),
          parent !== null ? h('li', { class: 'dir', onclick: () => void list(parent) }, '..') : null,
          ...entries.map((entry) =>
            h('li', { class: entry.type === 'DIR' ? 'dir' : 'file', onclick: () => void (entry.type === 'DIR' ? list(entry.path) : open(entry.path)) }, entry.type === 'DIR' ? `${entry.name}/` : entry.name),
          ),
        );
      } catch (error) {
        failure(context)(error);
      }
    };
    const save = async () => {
      if (!name.value) return;
      try {
        await client.files.write(session.id, name.value, editor.value);
        context.notify(`Saved ${name.value}`);
        await list(dir);
      } catch (error) {
        failure(context)(error);
      }
    };
    replace(
      body,
      h('div', { class: 'split' }, tree, h('div', { class: 'grow' }, h('div', { class: 'row' }, name, h('button', { onclick: () => void save(), 'data-testid': 'save-file' }, 'Save')), editor)),
    );
    void list('.');
  },
};

/** The checkpoint timeline: a diff of each against the workspace, restore, and a checkpoint now. */
const checkpoints: Panel = {
  id: 'checkpoints',
  title: 'Checkpoints',
  render(body, context) {
    const { client, session } = context;
    const timeline = h('ol', { class: 'timeline', 'data-testid': 'timeline' });
    const diff = h('div', { class: 'grow' }, h('p', { class: 'muted' }, 'Select a checkpoint to see what it changed.'));
    const description = h('input', { placeholder: 'description (optional)' });
    const load = async () => {
      try {
        const list = await client.git.checkpoints(session.id, { limit: 100 });
        replace(
          timeline,
          ...list.map((checkpoint, index) =>
            h(
              'li',
              { 'data-hash': checkpoint.commitHash },
              h('code', {}, shortHash(checkpoint.commitHash)),
              h('span', {}, checkpoint.description ?? '(automatic)'),
              h('small', {}, `${checkpoint.filesChanged} files · ${when(checkpoint.createdAt)}`),
              h('button', { onclick: () => void show(checkpoint.commitHash, list[index + 1]?.commitHash), 'data-testid': 'show-diff' }, 'Diff'),
              h('button', { onclick: () => void restore(checkpoint.commitHash) }, 'Restore'),
            ),
          ),
          list.length === 0 ? h('li', { class: 'muted' }, 'No checkpoints yet.') : null,
        );
      } catch (error) {
        failure(context)(error);
      }
    };
    /** What the checkpoint changed: from the one before it to it (the first one: from it to the workspace now). */
    const show = async (hash: string, older: string | undefined) => {
      try {
        const result = older ? await client.git.diff(session.id, older, hash) : await client.git.diff(session.id, hash);
        replace(
          diff,
          h('p', {}, `${older ? `${shortHash(older)} → ${shortHash(hash)}` : `${shortHash(hash)} → workspace now`}${result.truncated ? ' (truncated)' : ''}`),
          result.diff ? diffView(result.diff) : h('p', { class: 'muted', 'data-testid': 'diff' }, 'No changes.'),
        );
      } catch (error) {
        failure(context)(error);
      }
    };
    const restore = async (hash: string) => {
      if (!confirm(`Restore the workspace to ${shortHash(hash)}? The restore is itself a checkpoint, so it can be undone.`)) return;
      try {
        const checkpoint = await client.git.restore(session.id, hash);
        context.notify(`Restored ${shortHash(hash)} as ${shortHash(checkpoint.commitHash)}`);
        await load();
      } catch (error) {
        failure(context)(error);
      }
    };
    const commit = async () => {
      try {
        const checkpoint = await client.git.commit(session.id, { description: description.value || undefined });
        context.notify(checkpoint ? `Checkpoint ${shortHash(checkpoint.commitHash)}` : 'Nothing changed since the last checkpoint');
        description.value = '';
        await load();
      } catch (error) {
        failure(context)(error);
      }
    };
    replace(body, h('div', { class: 'row' }, description, h('button', { onclick: () => void commit() }, 'Checkpoint now')), h('div', { class: 'split' }, timeline, diff));
    void load();
  },
};

/** A port of the sandbox in a frame (each port its own origin). */
const preview: Panel = {
  id: 'preview',
  title: 'Preview',
  render(body, context) {
    const { client, session } = context;
    const port = h('input', { type: 'number', min: 1024, max: 65535, value: 3000, 'data-testid': 'preview-port' });
    const frame = h('div', { class: 'grow' });
    const known = h('div', { class: 'row' });
    const show = (url: string) => replace(frame, h('p', {}, h('a', { href: url, target: '_blank', rel: 'noopener' }, url)), h('iframe', { src: url, class: 'preview', 'data-testid': 'preview-frame' }));
    const open = async () => {
      try {
        show((await client.previews.register(session.id, Number(port.value))).url);
      } catch (error) {
        failure(context)(error);
      }
    };
    void client.previews.list(session.id).then(
      (list) => replace(known, ...list.map((p) => h('button', { onclick: () => show(p.url) }, `:${p.port}${p.private ? ' (private)' : ''}`))),
      failure(context),
    );
    replace(body, h('div', { class: 'row' }, h('label', {}, 'Port ', port), h('button', { onclick: () => void open() }, 'Open preview'), known), frame);
  },
};

/** Runs: start a pipeline, follow its events live, answer it. */
const runs: Panel = {
  id: 'runs',
  title: 'Runs',
  render(body, context) {
    const { client, session } = context;
    const pipeline = h('select', { 'data-testid': 'pipeline' });
    const input = h('textarea', { rows: 2, placeholder: 'input: instructions for plan, {"command": "npm test"} for test', 'data-testid': 'run-input' });
    const list = h('ul', { class: 'runs' });
    const log = h('pre', { class: 'terminal', 'data-testid': 'run-log' });
    const answer = h('input', { placeholder: 'answer the run / continue the conversation', 'data-testid': 'run-answer' });
    let following: AsyncIterator<unknown> | null = null;
    let current: string | null = null;
    context.onLeave(() => void following?.return?.());
    const follow = (runId: string) => {
      void following?.return?.();
      current = runId;
      log.textContent = '';
      const events = client.runs.events(runId)[Symbol.asyncIterator]();
      following = events;
      void (async () => {
        try {
          for (let next = await events.next(); !next.done; next = await events.next()) {
            const event = next.value;
            log.appendChild(h('span', { class: event.type.toLowerCase() }, `[${event.seq}] ${event.type} ${event.message}\n`));
            log.scrollTop = log.scrollHeight;
          }
          await load();
        } catch (error) {
          failure(context)(error);
        }
      })();
    };
    const load = async () => {
      try {
        const page = await client.runs.list(session.id, { limit: 20 });
        replace(list, ...page.runs.map((run) => h('li', { onclick: () => follow(run.id) }, h('span', { class: 'badge' }, run.status), ` ${run.pipeline} `, h('small', {}, when(run.createdAt)))));
      } catch (error) {
        failure(context)(error);
      }
    };
    const parse = (text: string): unknown => {
      try {
        return /^\s*[[{]/.test(text) ? JSON.parse(text) : text || undefined;
      } catch {
        return text;
      }
    };
    const startRun = async () => {
      try {
        const run = await client.runs.start(session.id, pipeline.value, parse(input.value));
        await load();
        follow(run.id);
      } catch (error) {
        failure(context)(error);
      }
    };
    const send = async () => {
      if (!answer.value) return;
      try {
        const run = await client.runs.submitInput(session.id, answer.value, current ?? undefined);
        answer.value = '';
        if (run.id !== current) follow(run.id);
      } catch (error) {
        failure(context)(error);
      }
    };
    void client.runs.pipelines().then((all) => replace(pipeline, ...all.map((p) => h('option', { value: p.name }, p.name))), failure(context));
    replace(
      body,
      h('div', { class: 'row' }, pipeline, input, h('button', { onclick: () => void startRun() }, 'Start run')),
      h('div', { class: 'split' }, list, h('div', { class: 'grow' }, log, h('div', { class: 'row' }, answer, h('button', { onclick: () => void send() }, 'Send')))),
    );
    void load();
  },
};

/** Background tasks and cron jobs of the key's user. */
const tasks: Panel = {
  id: 'tasks',
  title: 'Tasks & jobs',
  render(body, context) {
    const { client, session } = context;
    const taskList = h('ul', { class: 'runs', 'data-testid': 'tasks' });
    const jobList = h('ul', { class: 'runs', 'data-testid': 'jobs' });
    const command = h('input', { placeholder: 'command for a sandbox.exec task' });
    const load = async () => {
      try {
        const [page, jobs] = await Promise.all([client.tasks.list({ limit: 20 }), client.jobs.list()]);
        replace(taskList, ...page.tasks.map((t) => h('li', {}, h('span', { class: 'badge' }, t.status), ` ${t.type} `, h('small', {}, `${when(t.createdAt)}${t.error ? ` · ${t.error}` : ''}`))));
        replace(jobList, ...jobs.map((j) => h('li', {}, h('span', { class: 'badge' }, j.status), ` ${j.name} `, h('code', {}, j.cron), h('small', {}, ` next ${when(j.nextRunAt)}`))));
      } catch (error) {
        failure(context)(error);
      }
    };
    const create = async () => {
      try {
        await client.tasks.create({ type: 'sandbox.exec', payload: { sessionId: session.id, command: command.value }, priority: 'NORMAL' });
        command.value = '';
        await load();
      } catch (error) {
        failure(context)(error);
      }
    };
    replace(
      body,
      h('div', { class: 'row' }, command, h('button', { onclick: () => void create() }, 'Queue task'), h('button', { onclick: () => void load() }, '↻')),
      h('h3', {}, 'Tasks'),
      taskList,
      h('h3', {}, 'Jobs'),
      jobList,
    );
    void load();
  },
};

export const PANELS: Panel[] = [terminal, files, checkpoints, preview, runs, tasks];
