// Merge stages: images (by hash, the file copied beside the record), problems (by fingerprint) and
// datasets (by name; members by dataset, problem and ext id, a split or extra fields filled in where the
// target has none).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { imagePath } from '../../data/images';
import type { MemberRow } from '../../store/merge';
import { canonicalValue } from '../identity';
import type { Row, SourceMerge } from '../sourceMerge';

export function mergeImages(m: SourceMerge): void {
  const srcImages = join(m.src.ws.dir, 'images');
  for (const row of m.s.rows('images') as (Row & { hash: string; mime: string })[]) {
    if (m.t.hasImage(row.hash)) {
      m.count('images', 'skipped');
      continue;
    }
    m.insert('images', row);
    m.count('images', 'added');
    const from = imagePath(srcImages, row);
    const to = imagePath(m.target.paths.imagesDir, row);
    if (existsSync(to)) continue;
    if (!existsSync(from)) {
      m.conflict('images', `image ${row.hash} has a record but no file in the source; its record was merged without the file`);
      continue;
    }
    mkdirSync(join(to, '..'), { recursive: true });
    m.copyInto(from, to, false);
  }
}

export function mergeProblems(m: SourceMerge): void {
  for (const row of m.s.rows('problems') as (Row & { id: number; fingerprint: string })[]) {
    const found = m.t.problemByFingerprint(row.fingerprint);
    if (found !== undefined) {
      m.problems.set(row.id, found);
      m.count('problems', 'skipped');
      continue;
    }
    const id = m.insert('problems', row);
    m.problems.set(row.id, id);
    for (const pi of m.s.problemImages(row.id)) {
      m.insert('problem_images', { ...pi, problem_id: id }, true);
    }
    m.count('problems', 'added');
  }
}

export function mergeDatasets(m: SourceMerge): void {
  type Member = MemberRow & { problem_id: number; position: number };
  for (const ds of m.s.rows('datasets') as (Row & { id: number; name: string })[]) {
    const found = m.t.datasetByName(ds.name);
    const isNew = found === undefined;
    const datasetId = found !== undefined ? found : m.insert('datasets', ds);
    m.count('datasets', isNew ? 'added' : 'skipped');
    let changed = false;
    for (const mem of m.s.members(ds.id) as (Row & Member)[]) {
      const problemId = m.problem(mem.problem_id);
      const byProblem = m.t.member(datasetId, problemId);
      const byExt = m.t.memberByExtId(datasetId, mem.ext_id) !== undefined;
      if (byProblem && byProblem.ext_id === mem.ext_id) {
        let filled = false;
        if ((byProblem.split ?? null) === (mem.split ?? null) || mem.split === null) {
          // nothing to do
        } else if (byProblem.split === null) {
          m.t.setMemberSplit(datasetId, problemId, mem.split);
          filled = true;
        } else {
          m.conflict('dataset_members', `dataset "${ds.name}": problem "${mem.ext_id}" is in split "${byProblem.split}" in the target and "${mem.split}" in the source; kept "${byProblem.split}"`);
        }
        // the member's extra fields, as the split: filled in where the target has none, else the target's kept
        const targetMeta = canonicalValue(byProblem.meta);
        const sourceMeta = canonicalValue(mem.meta);
        if (targetMeta === sourceMeta || sourceMeta === '{}') {
          // nothing to do
        } else if (targetMeta === '{}') {
          m.t.setMemberMeta(datasetId, problemId, mem.meta);
          filled = true;
        } else {
          m.conflict('dataset_members', `dataset "${ds.name}": problem "${mem.ext_id}" has other extra fields in the source than in the target; kept the target's`);
        }
        m.count('dataset_members', filled ? 'added' : 'skipped');
        if (filled) changed = true;
      } else if (byExt) {
        m.conflict('dataset_members', `dataset "${ds.name}": id "${mem.ext_id}" names another problem in the target; the source's problem "${mem.ext_id}" was not added to the dataset`);
        m.count('dataset_members', 'skipped');
      } else if (byProblem) {
        m.conflict('dataset_members', `dataset "${ds.name}": the source's problem "${mem.ext_id}" is already in the dataset as "${byProblem.ext_id}"; kept "${byProblem.ext_id}"`);
        m.count('dataset_members', 'skipped');
      } else {
        const pos = m.t.nextMemberPosition(datasetId);
        m.insert('dataset_problems', { ...mem, dataset_id: datasetId, problem_id: problemId, position: pos }, true);
        m.count('dataset_members', 'added');
        changed = true;
      }
    }
    if (changed && !isNew) m.target.datasets.bumpVersion(datasetId);
  }
}
