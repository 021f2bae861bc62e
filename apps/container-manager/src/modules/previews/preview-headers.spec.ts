import { clientResponseHeaders, confineSetCookie, upstreamRequestHeaders } from './preview-headers';
import { matchPreviewRequest, takeQueryToken } from './preview-request';

const ID = '3f1c2b7e-8d4a-4c1e-9b2f-0a1b2c3d4e5f';

describe('preview headers', () => {
  it('should drop names listed in Connection and re-add Upgrade only for handshakes', () => {
    const headers = upstreamRequestHeaders({ connection: 'close, X-Secret', 'x-secret': '1', upgrade: 'websocket', host: 'h' }, { form: 'host', remoteAddress: '10.0.0.1', protocol: 'http' });
    expect(headers).toEqual({ host: 'h', 'x-forwarded-for': '10.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'h' });
    const handshake = upstreamRequestHeaders({ connection: 'Upgrade', upgrade: 'websocket' }, { form: 'path', remoteAddress: '::1', protocol: 'http', prefix: '/previews/x', upgrade: 'websocket' });
    expect(handshake).toMatchObject({ connection: 'Upgrade', upgrade: 'websocket', 'x-forwarded-prefix': '/previews/x' });
  });

  it('should remove hop-by-hop headers listed in the upstream response’s Connection', () => {
    expect(clientResponseHeaders({ connection: 'x-a', 'x-a': '1', 'keep-alive': 'timeout=5', 'x-b': '2' }, { form: 'host' })).toEqual({ 'x-b': '2' });
  });

  it('should confine cookies to the preview', () => {
    expect(confineSetCookie('a=1; Domain=.localhost; Path=/x; Secure', { form: 'host' })).toBe('a=1; Path=/x; Secure');
    expect(confineSetCookie('a=1; Path=x', { form: 'path', prefix: '/previews/p' })).toBe('a=1; Path=/previews/p/x');
    expect(confineSetCookie('a=1', { form: 'path', prefix: '/previews/p' })).toBe('a=1; Path=/previews/p/');
    expect(confineSetCookie('sandbox_preview_token=x', { form: 'host' })).toBeNull();
  });
});

describe('preview request matching', () => {
  it('should match the host form before any path and ignore the port suffix', () => {
    expect(matchPreviewRequest(`3000-${ID}.preview.localhost:4002`, '/previews/other', 'preview.localhost')).toEqual({
      kind: 'preview',
      request: { form: 'host', sessionId: ID, port: 3000, path: '/previews/other' },
    });
  });

  it('should leave the manager’s own hosts and paths alone', () => {
    expect(matchPreviewRequest('127.0.0.1:4002', '/api/internal/sessions', 'preview.localhost')).toEqual({ kind: 'none' });
    expect(matchPreviewRequest('preview.localhost', '/health', 'preview.localhost')).toEqual({ kind: 'none' });
    expect(matchPreviewRequest('x', '/previewsfoo', 'preview.localhost')).toEqual({ kind: 'none' });
  });

  it('should reject look-alike hosts under the preview domain', () => {
    for (const host of [`${ID}.preview.localhost`, `3000-${ID}x.preview.localhost`, `-${ID}.preview.localhost`, `123456-${ID}.preview.localhost`]) {
      expect(matchPreviewRequest(host, '/', 'preview.localhost').kind).toBe('invalid');
    }
  });

  it('should strip the prefix and keep the query on the path forms', () => {
    expect(matchPreviewRequest(undefined, `/previews/${ID}?a=1`, 'preview.localhost')).toEqual({
      kind: 'preview',
      request: { form: 'path', sessionId: ID, path: '/?a=1', prefix: `/previews/${ID}`, slashRedirect: `/previews/${ID}/?a=1` },
    });
    expect(matchPreviewRequest(undefined, `/previews/${ID}/?a=1`, 'preview.localhost')).toEqual({
      kind: 'preview',
      request: { form: 'path', sessionId: ID, path: '/?a=1', prefix: `/previews/${ID}` },
    });
    expect(matchPreviewRequest(undefined, `/internal-previews/proxy/${ID}/a/b`, 'preview.localhost')).toMatchObject({ request: { form: 'internal', path: '/a/b' } });
  });

  it('should take the token out of the query and keep the rest', () => {
    expect(takeQueryToken('/p?a=1&preview_token=t&b=2')).toEqual({ token: 't', path: '/p?a=1&b=2' });
    expect(takeQueryToken('/p?preview_token=t')).toEqual({ token: 't', path: '/p' });
    expect(takeQueryToken('/p?a=1')).toEqual({ path: '/p?a=1' });
  });
});
