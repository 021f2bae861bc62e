import { TERMINAL_TICKET_TTL_MS, TerminalTicketsService } from './terminal-tickets.service';

describe(TerminalTicketsService.name, () => {
  const grant = { sessionId: 's-1', userId: 'u-1', apiKeyId: 'k-1', cols: 80, rows: 24 };

  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('should redeem a ticket once', () => {
    const tickets = new TerminalTicketsService();
    const { ticket, expiresAt } = tickets.issue(grant);
    expect(expiresAt.getTime()).toBe(Date.now() + TERMINAL_TICKET_TTL_MS);
    expect(tickets.redeem(ticket)).toEqual(grant);
    expect(tickets.redeem(ticket)).toBeNull();
  });

  it('should refuse a ticket after 60 s and accept it just before', () => {
    const tickets = new TerminalTicketsService();
    const early = tickets.issue(grant).ticket;
    const late = tickets.issue(grant).ticket;
    jest.setSystemTime(Date.now() + TERMINAL_TICKET_TTL_MS - 1);
    expect(tickets.redeem(early)).toEqual(grant);
    jest.setSystemTime(Date.now() + 1);
    expect(tickets.redeem(late)).toBeNull();
  });

  it('should refuse tickets it never issued', () => {
    const tickets = new TerminalTicketsService();
    const { ticket } = tickets.issue(grant);
    expect(tickets.redeem(`${ticket.slice(0, -1)}${ticket.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    expect(tickets.redeem('')).toBeNull();
  });

  it('should keep at most 16 unused tickets per API key, dropping the oldest', () => {
    const tickets = new TerminalTicketsService();
    const issued = Array.from({ length: 17 }, () => tickets.issue(grant).ticket);
    const other = tickets.issue({ ...grant, apiKeyId: 'k-2' }).ticket;
    expect(tickets.redeem(issued[0])).toBeNull();
    expect(tickets.redeem(issued[1])).toEqual(grant);
    expect(tickets.redeem(issued[16])).toEqual(grant);
    expect(tickets.redeem(other)).toEqual({ ...grant, apiKeyId: 'k-2' });
  });
});
