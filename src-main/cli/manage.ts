// `steplab rename <kind> <name-or-id> <new>` and `steplab delete <kind> <name-or-id> [--yes]`: the
// manage.* methods of the contract. A delete first prints what goes with it (manage.dependents); it is
// done only after --yes, or a "y" typed on a terminal; elsewhere it is refused in one line.
import { Command, InvalidArgumentError } from 'commander';
import type { ManageKind, ManagePlan } from '../../src-shared/manage';
import { MANAGE_KINDS, MANAGE_KIND_CLI, MANAGE_KIND_LABEL } from '../../src-shared/manage';
import { UserError } from '../core/errors';
import { withApi, type CliIO } from './common';

const KIND_NAMES = MANAGE_KINDS.map((k) => MANAGE_KIND_CLI[k]);

/** dataset, annotation-set, search, evaluation, cycle-run or model (the contract's spelling is taken too). */
function manageKind(v: string): ManageKind {
  const k = MANAGE_KINDS.find((x) => MANAGE_KIND_CLI[x] === v || x === v);
  if (!k) throw new InvalidArgumentError(`must be one of ${KIND_NAMES.join(', ')}`);
  return k;
}

/** A target as typed: a number stays a string, so that a name of digits is still found by its name first. */
const target = (kind: ManageKind, ref: string): { kind: ManageKind; ref: string } => ({ kind, ref });

const what = (p: ManagePlan): string => `${MANAGE_KIND_LABEL[p.kind]} ${p.kind === 'search' && p.name.startsWith('#') ? p.name : `"${p.name}"`}`;

/** The plan as a person reads it: the rows that go, what goes with it by name, what stays, what stops it. */
export function describePlan(p: ManagePlan): string[] {
  const lines = [`delete ${what(p)}: ${p.total} ${p.total === 1 ? 'row' : 'rows'} in all`];
  const width = Math.max(0, ...p.rows.map((r) => String(r.count).length));
  for (const r of p.rows) lines.push(`  ${String(r.count).padStart(width)} ${r.what}`);
  if (p.objects.length) lines.push(`with it: ${p.objects.map((o) => `${MANAGE_KIND_LABEL[o.kind]} "${o.name}"`).join(', ')}`);
  for (const k of p.keeps) lines.push(`stays: ${k}`);
  for (const f of p.folders) lines.push(`folder removed after the delete: ${f}`);
  for (const b of p.blockers) lines.push(`refused: ${b}`);
  return lines;
}

export function addManageCommands(program: Command, io: CliIO): void {
  program
    .command('rename')
    .description(`rename a ${KIND_NAMES.join(', ')} (a model: every version of its name)`)
    .argument('<kind>', KIND_NAMES.join(' | '), manageKind)
    .argument('<name-or-id>', 'its name (a model: name or name@version), or its id')
    .argument('<new-name>', 'the new name; refused when another of its kind has it')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .option('--json', 'print JSON')
    .action(async (kind: ManageKind, ref: string, newName: string, o: { workspace: string; json?: boolean }) => {
      await withApi(o.workspace, async (api) => {
        const r = await api['manage.rename']({ ...target(kind, ref), newName });
        if (o.json) return io.out(JSON.stringify(r));
        const label = MANAGE_KIND_LABEL[kind];
        io.out(r.rows === 0 ? `${label} "${r.previous}" is named "${r.name}" already; nothing changed` : `renamed ${label} "${r.previous}" to "${r.name}"`);
      });
    });

  program
    .command('delete')
    .description(`delete a ${KIND_NAMES.join(', ')} and what depends on it, in one transaction (prints what goes first; asks, or needs --yes)`)
    .argument('<kind>', KIND_NAMES.join(' | '), manageKind)
    .argument('<name-or-id>', 'its name (a model: name for every version, or name@version), or its id')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .option('--yes', 'delete without asking')
    .option('--json', 'print JSON (the plan, then what was deleted; needs --yes)')
    .action(async (kind: ManageKind, ref: string, o: { workspace: string; yes?: boolean; json?: boolean }) => {
      await withApi(o.workspace, async (api) => {
        const plan = await api['manage.dependents'](target(kind, ref));
        if (!o.json) for (const l of describePlan(plan)) io.out(l);
        if (plan.blockers.length) throw new UserError(`cannot delete ${what(plan)}: ${plan.blockers[0]}; nothing was deleted`);
        if (!o.yes) {
          const cmd = `steplab delete ${MANAGE_KIND_CLI[kind]} ${JSON.stringify(ref)} --workspace ${o.workspace} --yes`;
          if (o.json || !io.ask) throw new UserError(`delete: nothing was deleted; to delete ${what(plan)} and the rows above without a question, add --yes (${cmd})`);
          const answer = (await io.ask(`delete ${what(plan)} and the ${plan.total} ${plan.total === 1 ? 'row' : 'rows'} above? [y/N] `)).trim().toLowerCase();
          if (answer !== 'y' && answer !== 'yes') throw new UserError('not confirmed: nothing was deleted');
        }
        const done = await api['manage.delete']({ ...target(kind, ref), confirm: true });
        if (o.json) return io.out(JSON.stringify({ deleted: true, ...done }));
        io.out(`deleted ${what(done)} (${done.total} ${done.total === 1 ? 'row' : 'rows'})`);
        for (const k of done.keeps.filter((x) => x.includes('could not be removed'))) io.err(`warning: ${k}`);
      });
    });
}
