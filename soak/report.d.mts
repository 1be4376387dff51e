import type { SoakReport } from './soak.mjs';

export declare function acceptance(report: SoakReport): { passed: boolean; failures: string[] };
export declare function renderMarkdown(report: SoakReport): string;
