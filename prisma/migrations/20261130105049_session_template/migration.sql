-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "template" TEXT,
ALTER COLUMN "image" DROP NOT NULL;
