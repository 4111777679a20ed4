/** The tiny llama GGUF the tests run the local backend on (built by the engine's demo-model writer). */
export {
  buildTinyLlamaGguf,
  TINY_LLAMA_CHAT_TEMPLATE,
  tinyLlamaGgufBytes,
} from '../../server/llm/demoGguf';
