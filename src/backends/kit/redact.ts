/** Replaces every occurrence of each non-empty secret in `text` with `***`. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    out = out.split(secret).join('***');
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join('***');
  }
  return out;
}

/** Copies an error's message with secrets removed, keeping its driver code if it has one. */
export function redactedCause(error: unknown, secrets: readonly (string | undefined)[]): Error {
  const message = error instanceof Error ? error.message : String(error);
  const clean = new Error(redactSecrets(message, secrets));
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== undefined) (clean as Error & { code?: unknown }).code = code;
  clean.name = error instanceof Error ? error.name : 'Error';
  return clean;
}
