// The pieces every importer shares: `--field target=column` specs and the `--image-root` resolver
// (pure parts with the file system passed in).
import { describe, expect, it } from 'vitest';
import { checkFieldColumns, parseFieldSpecs, problemFieldColumns } from '../src-main/core/data/fieldMap';
import { buildTrailIndex, pathComponents, trailingMatch, type ImageRootFs } from '../src-main/core/data/imageRoot';
import { ImagePaths } from '../src-main/core/data/imagePaths';
import { parseProblemRow } from '../src-main/core/data/problemRow';

describe('--field specs', () => {
  it('parses target=column pairs; the column is everything after the first =', () => {
    expect(parseFieldSpecs(['question=problem_text', 'answer_type = kind', 'id=a=b'])).toEqual({ question: 'problem_text', answer_type: 'kind', id: 'a=b' });
    expect(parseFieldSpecs([])).toEqual({});
    expect(problemFieldColumns({ answer_type: 'kind', images: 'diagram' })).toEqual({ answerType: 'kind', images: 'diagram' });
  });

  it('refuses malformed specs, unknown or unread targets and a target given twice, in one line', () => {
    const all = 'id, question, answer, answer_type, images, split, source, tags';
    expect(() => parseFieldSpecs(['question'])).toThrow(`--field "question": write <field>=<column>, e.g. --field question=problem_text (fields: ${all})`);
    expect(() => parseFieldSpecs(['question='])).toThrow('--field "question=": write <field>=<column>');
    expect(() => parseFieldSpecs(['prompt=text'])).toThrow(`--field "prompt=text": unknown field "prompt" (fields: ${all})`);
    expect(() => parseFieldSpecs(['answer=gt'], ['question', 'images'])).toThrow('--field "answer=gt": this command does not read field "answer" (fields: question, images)');
    expect(() => parseFieldSpecs(['question=a', 'question=b'])).toThrow('--field question is given twice ("a" and "b"): give each field once');
  });

  it('checks the mapped columns against the columns of the file, listing them', () => {
    expect(() => checkFieldColumns({ question: 'problem_text' }, ['id', 'problem_text'], 'g.jsonl line 1')).not.toThrow();
    expect(() => checkFieldColumns({ question: 'problem_text', answer: 'label' }, ['id', 'problem_text', 'gt'], 'g.jsonl line 1')).toThrow(
      '--field answer=label: g.jsonl line 1 has no column "label" (columns: id, problem_text, gt)',
    );
  });

  it('a mapped field is read from its column alone: an alias column is kept as an extra field', () => {
    const r = parseProblemRow({ problem_text: 'Find x.', question: 'other', answer: 3 }, { question: 'problem_text' });
    expect(r).toMatchObject({ question: 'Find x.', answer: '3', answerType: 'number', meta: { question: 'other' } });
    expect(() => parseProblemRow({ question: 'Q', answer: 1 }, { question: 'problem_text' })).toThrow('field "problem_text": required');
  });

  it('an unknown answer_type stays in meta and the type is inferred; an empty image is no image', () => {
    expect(parseProblemRow({ question: 'Q', answer: '2.5', answer_type: 'float', precision: 1, image: '' })).toMatchObject({ answerType: 'number', images: [], meta: { answer_type: 'float', precision: 1 } });
    expect(parseProblemRow({ question: 'Q', answer: 'B', answer_type: 42, images: [] })).toMatchObject({ answerType: 'choice', images: [], meta: { answer_type: 42 } });
    expect(parseProblemRow({ question: 'Q', answer: 'x', answer_type: 'text' })).toMatchObject({ answerType: 'text', meta: {} });
  });
});

describe('--image-root', () => {
  const files = ['images/x.png', 'thumbs/x.png', 'a/b/images/y.png', 'c/images/y.png', 'z.png'];
  const index = buildTrailIndex(files);

  it('picks the file ending with the longest run of the foreign path components, and names ties', () => {
    expect(trailingMatch(index, '/mnt/cluster/mmk12/images/x.png')).toEqual({ kind: 'found', path: 'images/x.png', depth: 2 });
    expect(trailingMatch(index, '/mnt/other/x.png')).toEqual({ kind: 'ambiguous', paths: ['images/x.png', 'thumbs/x.png'], depth: 1 });
    expect(trailingMatch(index, '/data/images/y.png')).toEqual({ kind: 'ambiguous', paths: ['a/b/images/y.png', 'c/images/y.png'], depth: 2 });
    expect(trailingMatch(index, '/data/b/images/y.png')).toEqual({ kind: 'found', path: 'a/b/images/y.png', depth: 3 });
    expect(trailingMatch(index, 'C:\\Users\\me\\z.png')).toEqual({ kind: 'found', path: 'z.png', depth: 1 });
    expect(trailingMatch(index, '/mnt/q.png')).toEqual({ kind: 'none' });
    expect(pathComponents('D:\\set\\images\\x.png')).toEqual(['set', 'images', 'x.png']);
  });

  it('resolves relative paths under the root, existing absolute paths as they are, and lists the root once', () => {
    let listed = 0;
    const fs: ImageRootFs = {
      isFile: (p) => ['/root/images/x.png', '/root/rel/r.png', '/here/abs.png', '/base/b.png'].includes(p),
      listFiles: () => {
        listed += 1;
        return ['images/x.png', 'rel/r.png'];
      },
    };
    const r = new ImagePaths('/base', '/root', false, fs);
    expect(r.locate('rel/r.png')).toBe('/root/rel/r.png');
    // an absolute path of this machine outside the file's folder and the root: read only with --allow-outside
    expect(() => r.locate('/here/abs.png')).toThrow('image "/here/abs.png" is outside /base and --image-root /root; give --image-root <dir> (a folder that holds it), or --allow-outside to read it where it is');
    expect(new ImagePaths('/base', '/root', true, fs).locate('/here/abs.png')).toBe('/here/abs.png');
    expect(r.locate('/mnt/cluster/images/x.png')).toBe('/root/images/x.png');
    expect(r.locate('/elsewhere/x.png')).toBe('/root/images/x.png');
    expect(listed).toBe(1);
    expect(() => r.locate('b.png')).toThrow('image "b.png" not found under --image-root /root');
    expect(() => r.locate('/mnt/none.png')).toThrow('image "/mnt/none.png" not found on this machine, and no file under --image-root /root is named none.png');
    const plain = new ImagePaths('/base', null, false, fs);
    expect(plain.locate('b.png')).toBe('/base/b.png');
    expect(() => plain.locate('/mnt/cluster/images/x.png')).toThrow('image "/mnt/cluster/images/x.png" not found on this machine; give --image-root <dir> to look for it under <dir> by its trailing path');
  });
});
