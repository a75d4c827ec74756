// The TextMate grammar, tokenised by the engine VS Code uses (vscode-textmate with the Oniguruma
// regular expressions of vscode-oniguruma) over every shipped recipe; asserts the scopes of chosen tokens.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const repo = path.resolve(__dirname, '..', '..', '..');
const grammarPath = path.join(__dirname, '..', 'syntaxes', 'distill.tmLanguage.json');

function shippedRecipes() {
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (['bin', 'obj', 'node_modules', '.git'].includes(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.distill')) found.push(full);
    }
  };
  for (const folder of ['recipes', 'tests/MiDistill.TestRecipes', 'templates']) walk(path.join(repo, folder));
  return found.sort();
}

let grammarPromise;
function grammar() {
  grammarPromise ??= (async () => {
    const wasm = fs.readFileSync(path.join(path.dirname(require.resolve('vscode-oniguruma')), 'onig.wasm'));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    const registry = new vsctm.Registry({
      onigLib: Promise.resolve({
        createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
        createOnigString: (s) => new oniguruma.OnigString(s),
      }),
      loadGrammar: async (scope) =>
        scope === 'source.distill' ? vsctm.parseRawGrammar(fs.readFileSync(grammarPath, 'utf8'), grammarPath) : null,
    });
    return registry.loadGrammar('source.distill');
  })();
  return grammarPromise;
}

// Every line's tokens: { line, text, tokens: [{ start, end, text, scopes }] }.
async function tokenize(text) {
  const g = await grammar();
  let stack = vsctm.INITIAL;
  return text.split('\n').map((line, index) => {
    const result = g.tokenizeLine(line, stack);
    stack = result.ruleStack;
    return {
      line: index,
      text: line,
      tokens: result.tokens.map((t) => ({ start: t.startIndex, end: t.endIndex, text: line.substring(t.startIndex, t.endIndex), scopes: t.scopes })),
    };
  });
}

// The scopes of the token at the first match of `pattern` (group 1 if it has one) on a line matching it.
function scopesOf(lines, pattern) {
  for (const l of lines) {
    const m = pattern.exec(l.text);
    if (!m) continue;
    const at = m.index + (m[1] !== undefined ? m[0].indexOf(m[1]) : 0);
    const token = l.tokens.find((t) => t.start <= at && at < t.end);
    return { token: token.text, scopes: token.scopes, line: l.line + 1 };
  }
  return null;
}

function assertScope(lines, pattern, scope, file) {
  const found = scopesOf(lines, pattern);
  assert.ok(found, `${file}: nothing matches ${pattern}`);
  assert.ok(found.scopes.includes(scope), `${file}:${found.line}: \`${found.token}\` has ${found.scopes.join(' ')}, expected ${scope}`);
}

const recipes = shippedRecipes();

test('there are shipped recipes to tokenise', () => {
  assert.ok(recipes.length >= 15, `found ${recipes.length}`);
});

for (const file of recipes) {
  const name = path.relative(repo, file);
  test(`tokens of ${name}`, async () => {
    const text = fs.readFileSync(file, 'utf8');
    const lines = await tokenize(text);
    assertScope(lines, /^(recipe)\s/, 'keyword.other.recipe.distill', name);
    assertScope(lines, /^recipe\s+([a-z_0-9]+)/, 'entity.name.type.recipe.distill', name);
    for (const l of lines) {
      for (const t of l.tokens) {
        if (t.text.trim() === '') continue;
        // Every word, number and bracket of a shipped recipe is recognised by some rule.
        assert.ok(t.scopes.length > 1, `${name}:${l.line + 1}: \`${t.text}\` has no scope beyond the file's`);
        const trimmed = t.text.trim();
        if (/^#/.test(trimmed)) assert.ok(t.scopes.some((s) => s.startsWith('comment.line')), `${name}:${l.line + 1}: comment ${trimmed}`);
        if (/^-?\d+\.\.-?\d+$/.test(trimmed)) assert.ok(t.scopes.includes('constant.numeric.range.distill'), `${name}:${l.line + 1}: range ${trimmed} has ${t.scopes}`);
        if (/^\d+(\.\d+)?%$/.test(trimmed)) assert.ok(t.scopes.includes('constant.numeric.percentage.distill'), `${name}:${l.line + 1}: percentage ${trimmed}`);
      }
      // A section header two spaces in: a section keyword, `variants` or `sweep`.
      const header = /^  ([a-z_]+)\s*\{/.exec(l.text);
      if (header) {
        const token = l.tokens.find((t) => t.start === 2);
        const expected = header[1] === 'variants' ? 'keyword.other.variants.distill' : header[1] === 'sweep' ? 'keyword.other.sweep.distill' : 'entity.name.section.distill';
        assert.ok(token.scopes.includes(expected), `${name}:${l.line + 1}: \`${header[1]}\` has ${token.scopes.join(' ')}`);
      }
    }
  });
}

test('chosen tokens of the quickstart', async () => {
  const file = 'recipes/quickstart.distill';
  const lines = await tokenize(fs.readFileSync(path.join(repo, file), 'utf8'));
  assertScope(lines, /^    (epochs) 30/, 'variable.other.property.setting.distill', file);
  assertScope(lines, /objective (sam)\(/, 'entity.name.function.form.distill', file);
  assertScope(lines, /sam\((rho):/, 'variable.parameter.argument.distill', file);
  assertScope(lines, /rho: (0\.05)/, 'constant.numeric.distill', file);
  assertScope(lines, /validation (0%)/, 'constant.numeric.percentage.distill', file);
  assertScope(lines, /classes (0\.\.9)/, 'constant.numeric.range.distill', file);
  assertScope(lines, /mi_per_block (true)/, 'constant.language.boolean.distill', file);
  assertScope(lines, /metrics \[(accuracy)\]/, 'support.constant.name.distill', file);
  assertScope(lines, /^    (labels_only) \{/, 'entity.name.variant.distill', file);
  assertScope(lines, /\{ (distill\.loss) =/, 'variable.other.path.override.distill', file);
  assertScope(lines, /(# unlabeled)/, 'comment.line.number-sign.distill', file);
});

test('chosen tokens of a study, a sweep and a string', async () => {
  const study = await tokenize(fs.readFileSync(path.join(repo, 'recipes/studies/fewshot.distill'), 'utf8'));
  assertScope(study, /reference ("vanilla")/, 'string.quoted.double.distill', 'fewshot.distill');
  const sweep = await tokenize(fs.readFileSync(path.join(repo, 'tests/MiDistill.TestRecipes/sweep.distill'), 'utf8'));
  assertScope(sweep, /sweep \{ (finetune\.objective\.rho)/, 'variable.other.path.grid.distill', 'sweep.distill');
  assertScope(sweep, /\[(0\.05), 0\.2\]/, 'constant.numeric.distill', 'sweep.distill');
});
