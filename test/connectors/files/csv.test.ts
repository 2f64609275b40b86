import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BadLineError, RecordReader, formatCsvRecord, parseCsvRecord } from '../../../src/connectors/files/index.js';

/** Reads a whole CSV text (as a finished file) and returns rows or errors with their lines. */
function readAll(text: string, delimiter?: string): Array<Record<string, string> | string> {
  const r = new RecordReader({ format: 'csv', delimiter, source: 'in.csv' });
  const { entries } = r.read(Buffer.from(text, 'utf8'), 0, 1, true);
  return entries.filter((e) => typeof e.value !== 'symbol').map((e) => (e.error ? `line ${e.error.line}: ${e.error.reason}` : (e.value as Record<string, string>)));
}

test('csv: quotes, doubled quotes, delimiters and line breaks inside quoted fields, CRLF, empty fields, unicode', () => {
  const text = [
    'id,name,note\r\n',
    '1,"Smith, John","said ""hi"""\r\n',
    '2,"multi\nline\r\nfield",\r\n',
    '3,,""\n',
    '4,Zoë 北京,"🙂,"\n',
    '\n', // a blank line is skipped but counted
    '5," lead",trail \n',
    '6,x,"last line, no break"',
  ].join('');
  assert.deepEqual(readAll(text), [
    { id: '1', name: 'Smith, John', note: 'said "hi"' },
    { id: '2', name: 'multi\nline\r\nfield', note: '' },
    { id: '3', name: '', note: '' },
    { id: '4', name: 'Zoë 北京', note: '🙂,' },
    { id: '5', name: ' lead', note: 'trail ' },
    { id: '6', name: 'x', note: 'last line, no break' },
  ]);
});

test('csv: a semicolon delimiter', () => {
  assert.deepEqual(readAll('a;b\n"x;y";2\n', ';'), [{ a: 'x;y', b: '2' }]);
});

test('csv: bad records are typed errors with the line where they start; the records around them still read', () => {
  const text = 'a,b\n1,2\n3,x"y\n4,"ok\nstill"\n5,"z"w\n6\n7,8\n9,"never closed\n10,11\n';
  assert.deepEqual(readAll(text), [
    { a: '1', b: '2' },
    'line 3: a quote inside an unquoted field (quote the whole field and double the quote)',
    { a: '4', b: 'ok\nstill' },
    'line 6: unexpected "w" after a closing quote',
    'line 7: 1 fields where the header has 2',
    { a: '7', b: '8' },
    'line 9: a quoted field is not closed',
  ]);
  assert.throws(
    () => parseCsvRecord('1,"x', 12, {}, 'f.csv'),
    (e: unknown) => e instanceof BadLineError && e.code === 'INVALID_RECORD' && e.line === 12 && e.message.startsWith('f.csv:12:'),
  );
});

test('csv: an incomplete record at the end of a growing file waits for its line break (inside quotes too)', () => {
  const r = new RecordReader({ format: 'csv' });
  const buf = Buffer.from('h1,h2,h3\n1,"open\nstill open');
  const first = r.read(buf, 0, 1, false);
  assert.equal(first.next, 9); // only the header is complete
  assert.equal(first.nextLine, 2);
  const more = Buffer.concat([buf.subarray(9), Buffer.from('",x\n')]);
  const second = r.read(more, 9, 2, false);
  assert.deepEqual(
    second.entries.map((e) => [e.line, e.value]),
    [[2, { h1: '1', h2: 'open\nstill open', h3: 'x' }]],
  );
  assert.equal(second.next, 9 + more.length);
  assert.equal(second.nextLine, 4);
});

test('csv: any fields written by formatCsvRecord read back the same (property)', () => {
  const field = fc.string({ unit: fc.constantFrom('a', 'b', ',', ';', '"', '\n', '\r', ' ', 'é', '🙂', 'x') });
  fc.assert(
    fc.property(fc.array(fc.array(field, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 20 }), fc.constantFrom(',', ';'), (rows, delimiter) => {
      const text = formatCsvRecord(['c0', 'c1', 'c2'], delimiter) + rows.map((r) => formatCsvRecord(r, delimiter)).join('');
      const got = readAll(text, delimiter);
      // A row of three empty fields is written as ",,", never as a blank line, so no row is dropped.
      const want = rows.map((r) => ({ c0: r[0]!, c1: r[1]!, c2: r[2]! }));
      assert.deepEqual(got, want);
    }),
    { numRuns: 300 },
  );
});
