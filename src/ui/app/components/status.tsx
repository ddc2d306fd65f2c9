/** An error shown as text (messages can hold keys, which are never markup). */
export function ErrorBox({ error }: { error: Error | string | undefined }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {typeof error === 'string' ? error : error.message}
    </p>
  );
}

/** A small "loading" note. */
export function Loading({ when }: { when: boolean }) {
  return when ? <p class="muted">Loading…</p> : null;
}
