/** Gemini generateContent / streamGenerateContent (Gemini CLI): request -> Conversation, Decision -> JSON. */
import { randomUUID } from 'node:crypto';
import {
  flattenText,
  type Conversation,
  type Decision,
  type JsonSchema,
  type ToolCall,
  DEFAULT_USAGE,
  type ServedUsage,
} from './conversation.js';

type Part = {
  text?: string;
  thought?: boolean;
  functionCall?: { id?: string; name: string; args?: Record<string, unknown> };
  functionResponse?: { id?: string; name: string; response?: unknown };
};

export function parseGemini(body: Record<string, unknown>): Conversation {
  const texts: string[] = [flattenText((body.systemInstruction as { parts?: unknown } | undefined)?.parts)];
  const calls: ToolCall[] = [];
  let lastUserText = '';
  let lastIsToolResult = false;
  for (const c of (body.contents ?? []) as { role?: string; parts?: Part[] }[]) {
    lastIsToolResult = false;
    for (const p of c.parts ?? []) {
      if (p.functionCall)
        calls.push({ id: p.functionCall.id ?? '', name: p.functionCall.name, args: p.functionCall.args ?? {} });
      else if (p.functionResponse) {
        const fr = p.functionResponse;
        const call = [...calls].reverse().find((x) => (fr.id && x.id === fr.id) || (!x.result && x.name === fr.name));
        if (call)
          call.result = flattenText(fr.response)
            .replace(/<\/?untrusted_context>/g, '')
            .trim();
        lastIsToolResult = true;
      } else if (typeof p.text === 'string' && c.role !== 'model' && !p.thought) {
        texts.push(p.text);
        lastUserText = p.text;
      }
    }
  }
  const tools = (
    (body.tools ?? []) as {
      functionDeclarations?: { name: string; parameters?: JsonSchema; parametersJsonSchema?: JsonSchema }[];
    }[]
  )
    .flatMap((t) => t.functionDeclarations ?? [])
    .map((f) => ({ name: f.name, schema: f.parametersJsonSchema ?? f.parameters }));
  const gc = (body.generationConfig ?? {}) as {
    responseJsonSchema?: JsonSchema;
    responseSchema?: JsonSchema;
    responseMimeType?: string;
  };
  const jsonSchema =
    gc.responseJsonSchema ?? gc.responseSchema ?? (gc.responseMimeType === 'application/json' ? {} : undefined);
  return { text: texts.join('\n'), lastUserText, tools, calls, lastIsToolResult, jsonSchema };
}

/** One GenerateContentResponse (the SSE stream sends it as a single `data:` event). */
export function renderGemini(d: Decision, model: string, served: ServedUsage = DEFAULT_USAGE): Record<string, unknown> {
  const part =
    d.kind === 'tool' ? { functionCall: { id: randomUUID(), name: d.tool.name, args: d.args } } : { text: d.text };
  return {
    candidates: [{ content: { role: 'model', parts: [part] }, finishReason: 'STOP', index: 0 }],
    usageMetadata: {
      promptTokenCount: served.input,
      candidatesTokenCount: served.output,
      totalTokenCount: served.input + served.output,
    },
    modelVersion: model,
  };
}
