/** Writes every generated module whose content changed; returns those that were stale (nothing written with `check`). */
export declare function embedAssets(options?: { check?: boolean }): string[];
/** The generated modules (paths relative to the library), the constant each exports, and their expected content. */
export declare function expectedModules(): Array<{ path: string; constant: string; content: string }>;
