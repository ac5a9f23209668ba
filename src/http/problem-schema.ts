// RFC 9457 problem details, as every /api error is answered.
import { Type, type Static } from 'typebox';

export const FieldErrorSchema = Type.Object({
  field: Type.String({ description: 'The request field at fault: a body property, query parameter, path parameter or header.' }),
  message: Type.String(),
  line: Type.Optional(Type.Integer({ description: 'For an uploaded file (CSV import): the line at fault; the header is line 1.' })),
});

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'Always about:blank: the status code says what kind of problem it is.' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String({ description: 'What went wrong, naming the field when one is at fault.' }),
    instance: Type.String({ description: 'The request path.' }),
    errors: Type.Optional(Type.Array(FieldErrorSchema)),
  },
  { description: 'RFC 9457 problem details (application/problem+json).' },
);

export type Problem = Static<typeof ProblemSchema>;
