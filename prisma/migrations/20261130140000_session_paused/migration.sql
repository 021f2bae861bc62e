-- AlterEnum
ALTER TYPE "SessionStatus" ADD VALUE 'PAUSED';
