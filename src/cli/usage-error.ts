/** A command line the CLI refuses (missing or contradictory arguments): exit code 2, no stack trace. */
export class UsageError extends Error {}
