/**
 * Checks a template Dockerfile before it is built, and points its FROM lines at local images.
 * The classic builder runs the instructions; this only decides what it may see: every FROM names
 * an existing template (or an earlier stage), and nothing makes the daemon itself fetch from a
 * network (ADD of a URL, COPY --from an image) or leaves behind triggers and volumes.
 */
export interface ParsedDockerfile {
  /** Templates named by FROM lines, in order, without duplicates. */
  baseTemplates: string[];
  /** Replaces every template FROM with the image it stands for. */
  render(imageOf: (template: string) => string): string;
}

export class DockerfileError extends Error {
  constructor(
    message: string,
    /** Set when the problem is a FROM naming no template: its name. */
    readonly unknownBase?: string,
  ) {
    super(message);
  }
}

const ALLOWED = new Set(['FROM', 'RUN', 'ENV', 'WORKDIR', 'USER', 'LABEL', 'ARG', 'COPY', 'SHELL', 'EXPOSE']);

interface Instruction {
  keyword: string;
  args: string;
  /** Index of its first physical line. */
  line: number;
  /** Number of physical lines it spans (continuations, comments in between). */
  span: number;
}

/** Splits into logical instructions: `\` joins lines, `#` lines are comments (also inside a continuation). */
function instructions(lines: string[]): Instruction[] {
  const result: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i].trim();
    if (first === '' || first.startsWith('#')) continue;
    const start = i;
    let text = lines[i];
    let continued = /\\\s*$/.test(text);
    while (continued && i + 1 < lines.length) {
      text = text.replace(/\\\s*$/, ' ');
      i++;
      const next = lines[i];
      if (next.trim().startsWith('#')) {
        text += '\\'; // a comment line inside a continuation is skipped; the instruction goes on
        continue;
      }
      text += next;
      continued = /\\\s*$/.test(next);
    }
    const match = /^\s*([A-Za-z]+)(?:\s+([\s\S]*))?$/.exec(text);
    if (!match) throw new DockerfileError(`Line ${start + 1}: not a Dockerfile instruction`);
    result.push({ keyword: match[1].toUpperCase(), args: (match[2] ?? '').trim(), line: start, span: i - start + 1 });
  }
  return result;
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  // Parser directives (`# escape=`, `# syntax=`) would change how the lines above are read.
  for (const line of lines) {
    if (line.trim() === '') continue;
    if (/^\s*#\s*[a-z]+\s*=/i.test(line)) throw new DockerfileError('Parser directives (# escape=, # syntax=) are not supported');
    break;
  }
  const list = instructions(lines);
  if (!list.some((i) => i.keyword === 'FROM')) throw new DockerfileError('The Dockerfile has no FROM line');
  const stages = new Set<string>();
  const bases: string[] = [];
  const fromLines = new Map<number, { name: string; alias: string | null; span: number }>();
  let stageCount = 0;
  for (const instruction of list) {
    const { keyword, args } = instruction;
    if (!ALLOWED.has(keyword)) throw new DockerfileError(`Instruction ${keyword} is not allowed in a template Dockerfile (allowed: ${[...ALLOWED].join(', ')})`);
    if (keyword === 'FROM') {
      const words = args.split(/\s+/).filter((w) => w !== '' && !w.startsWith('--platform='));
      const [name = '', as, alias, ...rest] = words;
      if (rest.length > 0 || (as !== undefined && (as.toUpperCase() !== 'AS' || !alias)) || name.startsWith('-')) {
        throw new DockerfileError(`Line ${instruction.line + 1}: FROM must read "FROM <template> [AS <stage>]"`);
      }
      const stageAlias = alias?.toLowerCase() ?? null;
      if (stages.has(name.toLowerCase())) {
        fromLines.set(instruction.line, { name, alias: stageAlias, span: 0 }); // an earlier stage: left as is
      } else {
        if (!/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/.test(name)) throw new DockerfileError(`Unknown base template ${name}`, name);
        if (!bases.includes(name)) bases.push(name);
        fromLines.set(instruction.line, { name, alias: stageAlias, span: instruction.span });
      }
      if (stageAlias) stages.add(stageAlias);
      stageCount++;
      continue;
    }
    if (stageCount === 0 && keyword !== 'ARG') throw new DockerfileError(`Line ${instruction.line + 1}: ${keyword} before the first FROM`);
    if (keyword === 'COPY') {
      for (const flag of args.split(/\s+/).filter((w) => w.startsWith('--'))) {
        const from = /^--from=(.+)$/.exec(flag)?.[1];
        if (flag.startsWith('--from=') && from !== undefined && !stages.has(from.toLowerCase()) && !(/^\d+$/.test(from) && Number(from) < stageCount)) {
          throw new DockerfileError(`Line ${instruction.line + 1}: COPY --from must name an earlier stage, not ${from}`);
        }
      }
    }
  }
  return {
    baseTemplates: bases,
    render(imageOf) {
      const out: string[] = [];
      for (let i = 0; i < lines.length; i++) {
        const from = fromLines.get(i);
        if (!from || from.span === 0) {
          out.push(lines[i]);
          continue;
        }
        out.push(`FROM ${imageOf(from.name)}${from.alias ? ` AS ${from.alias}` : ''}`);
        for (let k = 1; k < from.span; k++) out.push(''); // keep line numbers of the build output
        i += from.span - 1;
      }
      return out.join('\n');
    },
  };
}
