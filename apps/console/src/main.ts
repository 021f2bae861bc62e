import { AuthenticationError, SandboxClient, SandboxError, type Session } from '@sandbox/sdk';
import { h, replace, when } from './dom.js';
import { PANELS, type PanelContext } from './panels.js';

const KEY_STORAGE = 'sandbox.apiKey';
const root = document.getElementById('app') as HTMLElement;

/**
 * The API key: `#key=sk_...` in the URL (taken once, then removed from the address bar and history),
 * else the one kept from last time in this browser, else asked for.
 */
function takeKey(): string | null {
  const match = /(?:^#|&)key=([^&]+)/.exec(location.hash);
  if (match) {
    localStorage.setItem(KEY_STORAGE, decodeURIComponent(match[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return localStorage.getItem(KEY_STORAGE);
}

function message(error: unknown): string {
  if (error instanceof SandboxError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}

function askForKey(problem?: string): void {
  const input = h('input', { type: 'password', placeholder: 'sk_...', 'data-testid': 'key-input', autocomplete: 'off', required: true });
  const form = h(
    'form',
    {
      class: 'login',
      onsubmit: (event: Event) => {
        event.preventDefault();
        localStorage.setItem(KEY_STORAGE, input.value.trim());
        void start();
      },
    },
    h('h1', {}, 'Sandbox console'),
    h('p', {}, 'Your API key (kept in this browser only):'),
    input,
    h('button', { type: 'submit' }, 'Open'),
    problem ? h('p', { class: 'error', 'data-testid': 'login-error' }, problem) : null,
  );
  replace(root, form);
  input.focus();
}

async function start(): Promise<void> {
  const apiKey = takeKey();
  if (!apiKey) return askForKey();
  const client = new SandboxClient({ apiUrl: location.origin, apiKey });
  try {
    await client.sessions.list({ limit: 1 });
  } catch (error) {
    if (error instanceof AuthenticationError) {
      localStorage.removeItem(KEY_STORAGE);
      return askForKey('That key was refused: check it and try again.');
    }
    replace(root, h('p', { class: 'error' }, `Cannot reach the platform: ${message(error)}`));
    return;
  }
  new Console(client).mount();
}

/** The signed-in console: sessions on the left, the selected session's panels on the right. */
class Console {
  private sessions: Session[] = [];
  private selected: string | null = null;
  private panel = PANELS[0].id;
  private readonly sessionList = h('ul', { class: 'sessions', 'data-testid': 'sessions' });
  private readonly main = h('main', {});
  private readonly status = h('div', { class: 'status', role: 'status' });
  /** Ends the subscriptions and timers of the panel on screen when another is shown. */
  private leavePanel: (() => void) | null = null;

  constructor(private readonly client: SandboxClient) {}

  mount(): void {
    const templates = h('select', { 'data-testid': 'template' }, h('option', { value: '' }, 'default template'));
    void this.client.templates.list().then((list) => {
      for (const template of list.filter((t) => t.status === 'READY')) templates.appendChild(h('option', { value: template.name }, template.name));
    });
    const header = h(
      'header',
      {},
      h('strong', {}, 'Sandbox console'),
      this.status,
      h('button', { class: 'link', onclick: () => (localStorage.removeItem(KEY_STORAGE), location.reload()) }, 'Forget key'),
    );
    const aside = h(
      'aside',
      {},
      h('div', { class: 'row' }, h('h2', {}, 'Sessions'), h('button', { onclick: () => void this.refresh(), title: 'Refresh' }, '↻')),
      h(
        'form',
        {
          class: 'row',
          onsubmit: (event: Event) => {
            event.preventDefault();
            void this.create(templates.value || undefined);
          },
        },
        templates,
        h('button', { type: 'submit', 'data-testid': 'create-session' }, 'New session'),
      ),
      this.sessionList,
    );
    replace(root, header, h('div', { class: 'layout' }, aside, this.main));
    replace(this.main, h('p', { class: 'muted' }, 'Select a session, or create one.'));
    void this.refresh();
  }

  /** Shows `text` in the header; errors in red. */
  notify = (text: string, isError = false): void => {
    this.status.textContent = text;
    this.status.className = isError ? 'status error' : 'status';
  };

  private async refresh(): Promise<void> {
    try {
      this.sessions = (await this.client.sessions.list({ limit: 100 })).sessions;
      this.renderSessions();
    } catch (error) {
      this.notify(message(error), true);
    }
  }

  private async create(template: string | undefined): Promise<void> {
    this.notify('Creating a session…');
    try {
      const session = await this.client.sessions.create({ template });
      this.notify(`Session ${session.id.slice(0, 8)} is ${session.status}`);
      await this.refresh();
      this.select(session.id);
    } catch (error) {
      this.notify(message(error), true);
      await this.refresh();
    }
  }

  private renderSessions(): void {
    replace(
      this.sessionList,
      ...this.sessions.map((session) =>
        h(
          'li',
          { class: session.id === this.selected ? 'selected' : '', 'data-session-id': session.id, onclick: () => this.select(session.id) },
          h('span', { class: `badge ${session.status.toLowerCase()}` }, session.status),
          h('code', {}, session.id.slice(0, 8)),
          h('small', {}, `${session.template ?? ''} · ${when(session.createdAt)}`),
        ),
      ),
      this.sessions.length === 0 ? h('li', { class: 'muted' }, 'No sessions yet.') : null,
    );
  }

  private select(id: string): void {
    this.selected = id;
    this.renderSessions();
    this.showPanel(this.panel);
  }

  private showPanel(panelId: string): void {
    const session = this.sessions.find((s) => s.id === this.selected);
    if (!session) return;
    this.leavePanel?.();
    this.leavePanel = null;
    this.panel = panelId;
    const body = h('section', { class: 'panel' });
    const tabs = h(
      'nav',
      { class: 'tabs' },
      ...PANELS.map((panel) => h('button', { class: panel.id === panelId ? 'active' : '', 'data-tab': panel.id, onclick: () => this.showPanel(panel.id) }, panel.title)),
    );
    const actions = h(
      'div',
      { class: 'row' },
      h('h2', {}, `Session ${session.id}`),
      h('span', { class: `badge ${session.status.toLowerCase()}` }, session.status),
      session.status === 'ACTIVE'
        ? h('button', { onclick: () => void this.lifecycle(() => this.client.sessions.stop(session.id)) }, 'Stop')
        : h('button', { onclick: () => void this.lifecycle(() => this.client.sessions.start(session.id)) }, 'Start'),
      h('button', { class: 'danger', onclick: () => void this.remove(session.id) }, 'Delete'),
    );
    replace(this.main, actions, tabs, body);
    const context: PanelContext = { client: this.client, session, notify: this.notify, onLeave: (stop) => (this.leavePanel = stop) };
    const panel = PANELS.find((p) => p.id === panelId) ?? PANELS[0];
    panel.render(body, context);
  }

  private async lifecycle(change: () => Promise<Session>): Promise<void> {
    try {
      const session = await change();
      this.notify(`Session ${session.id.slice(0, 8)} is ${session.status}`);
      await this.refresh();
      this.showPanel(this.panel);
    } catch (error) {
      this.notify(message(error), true);
    }
  }

  private async remove(id: string): Promise<void> {
    if (!confirm(`Delete session ${id} with its workspace and checkpoints?`)) return;
    try {
      await this.client.sessions.delete(id);
      this.selected = null;
      replace(this.main, h('p', { class: 'muted' }, 'Session deleted.'));
      await this.refresh();
    } catch (error) {
      this.notify(message(error), true);
    }
  }
}

void start();
