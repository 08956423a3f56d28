import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** bot/starling-bot.json: the one bot definition Lex is built from and the local matcher reads. */
export interface BotDefinition {
  readonly name: string;
  readonly description?: string;
  /** A Lex V2 locale id, e.g. en_US. */
  readonly locale: string;
  /** Lex's NLU confidence threshold (0-1): below it, the fallback intent answers. */
  readonly confidenceThreshold: number;
  readonly idleSessionTtlSeconds?: number;
  /** What the fallback intent says. */
  readonly fallbackText: string;
  readonly intents: { readonly name: string; readonly description?: string; readonly utterances: string[] }[];
}

export const BOT_PATH = path.join('bot', 'starling-bot.json');

export function loadBot(repoRoot: string): { bot: BotDefinition; hash: string } {
  const file = path.join(repoRoot, BOT_PATH);
  const text = fs.readFileSync(file, 'utf8');
  const bot = JSON.parse(text) as BotDefinition;
  const problems: string[] = [];
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(bot.name ?? '')) problems.push('name: 1-100 letters, digits, _ or -');
  if (!/^[a-z]{2}_[A-Z]{2}$/.test(bot.locale ?? '')) problems.push('locale: a Lex locale id such as en_US');
  if (!(bot.confidenceThreshold >= 0 && bot.confidenceThreshold <= 1)) problems.push('confidenceThreshold: between 0 and 1');
  if (typeof bot.fallbackText !== 'string' || bot.fallbackText.length === 0) problems.push('fallbackText: required');
  if (!Array.isArray(bot.intents) || bot.intents.length === 0) problems.push('intents: at least one');
  for (const i of bot.intents ?? []) {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(i.name ?? '') || i.name === 'FallbackIntent') problems.push(`intent ${i.name}: a name, not FallbackIntent (Lex adds it)`);
    if (!Array.isArray(i.utterances) || i.utterances.length === 0) problems.push(`intent ${i.name}: at least one utterance`);
  }
  if (problems.length > 0) throw new Error(`${file}: ${problems.join('; ')}`);
  return { bot, hash: crypto.createHash('sha256').update(text).digest('hex') };
}
