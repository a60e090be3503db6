-- AlterTable
ALTER TABLE "users" ADD COLUMN     "unverified_email" TEXT;
