// Prisma CLI configuration (Prisma 7). The URL is only needed by commands that touch the database;
// `prisma generate` runs without it.
import 'dotenv/config';
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
