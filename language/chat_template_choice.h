// Which of vltune's chat templates (chat_template.h) a model folder's own template is. The
// folder's Jinja template (tokenizer_config.json "chat_template", chat_template.json, or
// chat_template.jinja) is recognised by its markers, first match wins:
//   <|im_start|>          -> chatml     (Qwen2/2.5/3-VL, InternVL, SmolVLM's ChatML models)
//   [INST]                -> llama2     (LLaMA-2, Mistral)
//   USER: ... ASSISTANT:  -> llava_v1   (LLaVA-1.5)
// No Jinja is run. A folder with no template gets "" (the caller's default); a template none of
// the rows recognises is refused, naming its file and opening, so the recipe names one instead.
#pragma once
#include <string>

namespace vltune::language {

std::string chat_template_for_model(const std::string& model_dir);

}  // namespace vltune::language
