import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandListMarkdown } from '../../scripts/command-list.js';

describe('README', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

  it('lists exactly the commands the server ships', () => {
    const section = /<!-- commands:start -->\n([\s\S]*?)\n<!-- commands:end -->/.exec(readme)?.[1];
    expect(section, 'regenerate with: npx tsx scripts/command-list.ts').toBe(commandListMarkdown());
  });

  it('gives the two commands first', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
  });
});
