import type { Metadata } from 'next';
import { getAppServices } from '@/lib/services/app-services';
import { ConfirmEmailChangeForm, DeadEmailChangeLink } from './confirm-email-change-form';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Confirm your new email address' };

/** The page behind the link mailed to a new address: a button for a link that still works; a dead one says so at once. */
export default async function ChangeEmailPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const { token } = await searchParams;
  const changes = (await getAppServices()).emailChanges;
  const live = token && changes ? await changes.isLive(token) : false;
  return (
    <>
      <h1>Confirm your new email address</h1>
      {live && token ? (
        <ConfirmEmailChangeForm token={token} />
      ) : (
        <DeadEmailChangeLink
          error={
            token
              ? 'This link has expired, was already used, or was replaced by a newer one.'
              : 'This page needs the link from the email we sent to your new address.'
          }
        />
      )}
    </>
  );
}
