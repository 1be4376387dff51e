/**
 * The code blocks of the documentation, for `test/docs-snippets.e2e-spec.ts`: extraction from Markdown, the
 * imports a fragment leaves out, and the stand-ins for the "any provider of yours" classes the blocks name.
 *
 * Conventions for writers of README.md and docs/*.md:
 * - every ```ts (or ```typescript) block is compiled against the built library; ```json blocks are parsed;
 * - a block may leave out imports of well-known names (see KNOWN_IMPORTS): they are added when the block uses
 *   a name it neither imports nor declares;
 * - ```ts boot [paths...] also boots the block in a fresh process, with Redis and without: it either exports
 *   `AppModule` (the test creates the app), or is a whole `main` that listens on `process.env.PORT`; each path
 *   listed must then answer 200.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/** One fenced code block. */
export interface Snippet {
  /** `README.md:120` (the line of the opening fence), relative to the repository. */
  readonly where: string;
  readonly language: string;
  readonly code: string;
  /** Marked `boot`. */
  readonly boot: boolean;
  /** Paths to GET after boot, each expected to answer 200. */
  readonly probes: string[];
}

/** The fenced code blocks of a Markdown file. */
export function extractSnippets(file: string, root: string): Snippet[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const snippets: Snippet[] = [];
  let open: { line: number; info: string[]; body: string[] } | undefined;
  lines.forEach((line, index) => {
    if (!open) {
      const fence = /^```(\S+)(.*)$/.exec(line);
      if (fence)
        open = { line: index + 1, info: [fence[1], ...fence[2].trim().split(/\s+/).filter(Boolean)], body: [] };
      return;
    }
    if (/^```\s*$/.test(line)) {
      const [language, ...words] = open.info;
      snippets.push({
        where: `${relative(root, file)}:${open.line}`,
        language,
        code: open.body.join('\n'),
        boot: words.includes('boot'),
        probes: words.filter((word) => word.startsWith('/')),
      });
      open = undefined;
      return;
    }
    open.body.push(line);
  });
  if (open) throw new Error(`${relative(root, file)}:${open.line}: unclosed code fence`);
  return snippets;
}

/** Where the well-known names a block may use without importing come from. */
export const KNOWN_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  '@nestjs/common': ['Controller', 'Get', 'Injectable', 'Module', 'INestApplication'],
  '@nestjs/core': ['NestFactory'],
  '@nestjs/config': ['ConfigModule', 'ConfigService'],
  'nestjs-task-manager': [
    'Task',
    'TaskGroup',
    'RegisterFunction',
    'TaskManagerModule',
    'TaskManagerService',
    'TaskManagerEvents',
    'TaskContext',
  ],
  '@nestjs/schedule': ['ScheduleModule', 'Cron'],
  './mail.service.js': ['MailService'],
  './auth.js': ['AuthGuard', 'AdminGuard', 'AuthModule'],
  './app.module.js': ['AppModule'],
};

/** Type-only names among KNOWN_IMPORTS. */
const TYPE_ONLY = new Set(['TaskContext', 'INestApplication']);

/** `code` preceded by imports of the well-known names it uses but neither imports nor declares. */
export function withMissingImports(code: string): string {
  const imported = new Set<string>();
  for (const match of code.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from/g)) {
    for (const name of match[1].split(',')) {
      const local = name
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .pop();
      if (local) imported.add(local);
    }
  }
  const declared = new Set(
    [...code.matchAll(/\b(?:class|const|let|function|interface|type)\s+(\w+)/g)].map((m) => m[1]),
  );
  const lines: string[] = [];
  for (const [from, names] of Object.entries(KNOWN_IMPORTS)) {
    const missing = names.filter(
      (name) => !imported.has(name) && !declared.has(name) && new RegExp(`\\b${name}\\b`).test(code),
    );
    if (missing.length === 0) continue;
    const list = missing.map((name) => (TYPE_ONLY.has(name) ? `type ${name}` : name)).join(', ');
    lines.push(`import { ${list} } from '${from}';`);
  }
  return lines.length === 0 ? code : `${lines.join('\n')}\n${code}`;
}

/**
 * Files the blocks may import as "yours" (`./mail.service.js`, `./auth.js`, ...), and type declarations of the
 * packages the documentation mentions but the repository does not install.
 */
export const SUPPORT_FILES: Readonly<Record<string, string>> = {
  'mail.service.ts': `import { Injectable } from '@nestjs/common';

/** Stands for the application's own mail provider. */
@Injectable()
export class MailService {
  async sendDigest(_options: { signal?: AbortSignal } = {}): Promise<void> {}
  async send(_recipient: string): Promise<void> {}
}
`,
  'auth.ts': `import { Injectable, Module, type CanActivate } from '@nestjs/common';

/** Stands for the application's authentication guard. */
@Injectable()
export class AuthGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

/** Stands for the application's admin guard. */
@Injectable()
export class AdminGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Module({ providers: [AuthGuard, AdminGuard], exports: [AuthGuard, AdminGuard] })
export class AuthModule {}
`,
  'app.module.ts': `import { Module } from '@nestjs/common';

@Module({})
export class AppModule {}
`,
  'users.module.ts': `import { Module } from '@nestjs/common';

@Module({})
export class UsersModule {}
`,
  'not-installed.d.ts': `// Packages the documentation shows but the repository does not install: typed as far as the blocks use them.
declare module '@nestjs/throttler' {
  import type { CanActivate, DynamicModule } from '@nestjs/common';
  export class ThrottlerGuard implements CanActivate {
    canActivate(): boolean;
  }
  export class ThrottlerModule {
    static forRoot(options: Array<{ ttl: number; limit: number }>): DynamicModule;
  }
}
declare module '@nestjs/schedule' {
  import type { DynamicModule } from '@nestjs/common';
  export class ScheduleModule {
    static forRoot(): DynamicModule;
  }
  export function Cron(expression: string, options?: { name?: string; timeZone?: string }): MethodDecorator;
}
`,
};

/** Whether a block is a whole `main` (it starts and listens by itself) rather than a module to boot. */
export function isMain(snippet: Snippet): boolean {
  return /\.listen\(/.test(snippet.code);
}

/**
 * Boots a compiled block in a child process: `node boot.mjs <file> [main]`. A whole `main` has started on
 * import (it listens on `$PORT`); otherwise the block's exported `AppModule` is created here and listens on
 * `$PORT`. Prints `BOOTED <health JSON>` once up (the health of TaskManagerService when it can be reached).
 */
export const BOOT_SCRIPT = `import { pathToFileURL } from 'node:url';
const { NestFactory } = await import('@nestjs/core');
const { TaskManagerService } = await import('nestjs-task-manager');
const exported = await import(pathToFileURL(process.argv[2]).href);
let service;
if (process.argv[3] !== 'main') {
  const app = await NestFactory.create(exported.AppModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  service = app.get(TaskManagerService);
}
const deadline = Date.now() + 10_000;
let health = service?.health();
while (service && health.status !== 'healthy' && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  health = service.health();
}
console.log('BOOTED ' + JSON.stringify(health ?? null));
`;
