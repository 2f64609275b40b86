import { ApiKeys, ErrorCodes, type DeleteTopicsResponseDeletableTopicResult } from '../../protocol/index.js';
import { codeOf, messageOf } from '../errors.js';
import { defineHandler } from '../handler.js';
import { ZERO_UUID, isInternalTopic } from '../topics.js';

/** DeleteTopics by name (v0-v5) or by name or topic id (v6). Committed offsets of the topic go with it. */
export const deleteTopics = defineHandler({
  apiKey: ApiKeys.DeleteTopics,
  async handle(ctx, req) {
    const { topics, groups } = ctx.broker;
    const wanted: { name: string | null; topicId: string }[] =
      ctx.apiVersion >= 6 ? req.topics.map((t) => ({ name: t.name, topicId: t.topicId })) : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const responses: DeleteTopicsResponseDeletableTopicResult[] = [];
    for (const w of wanted) {
      const byId = w.name === null;
      const name = byId ? topics.nameOf(w.topicId) : w.name;
      const r: DeleteTopicsResponseDeletableTopicResult = { name: w.name, topicId: w.topicId, errorCode: ErrorCodes.NONE, errorMessage: null };
      responses.push(r);
      if (name === null || !topics.exists(name)) {
        r.errorCode = byId ? ErrorCodes.UNKNOWN_TOPIC_ID : ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION;
        r.errorMessage = byId ? `unknown topic id ${w.topicId}` : `unknown topic ${name}`;
        continue;
      }
      if (isInternalTopic(name)) {
        r.errorCode = ErrorCodes.INVALID_REQUEST;
        r.errorMessage = `${name} is an internal topic`;
        continue;
      }
      r.name = name;
      r.topicId = topics.idOf(name);
      try {
        await topics.delete(name);
        groups.onTopicDeleted(name);
        ctx.broker.logger.info(`deleted topic ${name}`);
      } catch (e) {
        r.errorCode = codeOf(ctx, e, `delete topic ${name}`);
        r.errorMessage = messageOf(e);
      }
    }
    return { throttleTimeMs: 0, responses };
  },
});
