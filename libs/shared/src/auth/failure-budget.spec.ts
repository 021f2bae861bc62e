import { DomainException } from '../errors/domain.exception';
import { FailureBudget } from './failure-budget';

describe(FailureBudget.name, () => {
  const refusal = (budget: FailureBudget, address: string, now: number): DomainException | undefined => {
    try {
      budget.assertAllowed(address, now);
      return undefined;
    } catch (error) {
      return error as DomainException;
    }
  };

  it('should refuse an address once its failures reach the limit, until the window ends', () => {
    const budget = new FailureBudget(3, 10_000);
    for (let i = 0; i < 3; i++) {
      expect(refusal(budget, 'a', 1000 + i)).toBeUndefined();
      budget.recordFailure('a', 1000 + i);
    }
    const refused = refusal(budget, 'a', 2000);
    expect(refused).toMatchObject({ code: 'RATE_LIMITED', message: 'Too many requests, retry in 9 s' });
    expect(refused?.headers).toEqual({ 'Retry-After': '9', 'RateLimit-Limit': '3', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '9' });
    expect(refusal(budget, 'b', 2000)).toBeUndefined();
    expect(refusal(budget, 'a', 11_000)).toBeUndefined();
  });

  it('should keep at most maxAddresses windows, dropping the oldest first', () => {
    const budget = new FailureBudget(1, 10_000, 2);
    budget.recordFailure('a', 0);
    budget.recordFailure('b', 1);
    budget.recordFailure('c', 2);
    expect(refusal(budget, 'a', 3)).toBeUndefined();
    expect(refusal(budget, 'b', 3)).toBeDefined();
    expect(refusal(budget, 'c', 3)).toBeDefined();
  });
});
