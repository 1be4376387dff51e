/**
 * Describes a cron expression (5 fields, or 6 with seconds first) in words, e.g. `'*∕5 * * * *'` →
 * `'every 5 minutes'`; returns the expression itself when it is not a common pattern.
 */
export declare function cronToWords(expression: string): string;
