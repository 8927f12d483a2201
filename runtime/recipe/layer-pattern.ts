/**
 * Layer-name patterns of recipe overrides (`overrides[].match`), matched against Hugging Face-style layer names
 * such as `bert.encoder.layer.3.attention.self.query`.
 *
 *   `*`   any run of characters inside one dotted segment (`layer.*.attention` matches every layer index)
 *   `**`  any run of characters across segments, including none (`**.output.dense`)
 *   `{a,b}` one of the alternatives (`attention.self.{query,key}`)
 * Everything else matches literally. A pattern must match the whole name.
 */
export function compileLayerPattern(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '.') {
          // `**.` also matches nothing at all, so `**.output.dense` matches `output.dense`
          i++;
          re += '(?:.*\\.)?';
        } else {
          re += '.*';
        }
      } else {
        re += '[^.]*';
      }
    } else if (ch === '{') {
      const close = pattern.indexOf('}', i);
      if (close < 0) {
        re += '\\{';
        continue;
      }
      const alts = pattern.slice(i + 1, close).split(',').map(escapeRegExp);
      re += `(?:${alts.join('|')})`;
      i = close;
    } else {
      re += escapeRegExp(ch);
    }
  }
  return new RegExp(`^${re}$`);
}

export function matchesLayerPattern(pattern: string, layerName: string): boolean {
  return compileLayerPattern(pattern).test(layerName);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
