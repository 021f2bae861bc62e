import type { Prisma } from '../generated/prisma/client';

/**
 * The client of one PostgreSQL transaction. A repository that changes state hands it to work that must
 * commit (or roll back) with that change, such as the webhook deliveries the change causes
 * (docs/webhooks.md, Durable); services pass it along without using it.
 */
export type Transaction = Prisma.TransactionClient;
