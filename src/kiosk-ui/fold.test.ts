// The kiosk folds names offline exactly as the server does (personFold, held to the database's
// person_fold by test/checkins/person-fold.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { personFold, searchTerms } from '../features/checkins/person-name.js';
import { fold, searchable, searchWords } from './fold.js';

const CASES = [
  'Żaneta Żółć',
  "Miles O'Brien",
  'Ørsted Łukasz',
  'Straße Þór Æsir Œuvre',
  'Đorđe Ħal Ilı ŀl ŧ',
  'Jean-Luc  Picard',
  'Ada\tLovelace\u00a0Byron',
  'Müller (née Schmidt)',
  '名前 テスト',
  'ÀÉÎÕÜ àéîõü çñ',
  '“Quoted” name…',
  '',
];

test('fold is personFold, case by case', () => {
  for (const text of CASES) assert.equal(fold(text), personFold(text), JSON.stringify(text));
});

test('search words are split and folded as the server splits them', () => {
  for (const query of ['Lovelace, Ada', 'zolc  zaneta', 'o’brien', ' - ada ']) {
    assert.deepEqual(searchWords(query), searchTerms(query) ?? [], query);
  }
  assert.equal(searchable('a'), false);
  assert.equal(searchable(' . a '), false);
  assert.equal(searchable('ab'), true);
});
