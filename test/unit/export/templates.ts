/**
 * Chat templates written for these tests in the shapes the model families' tokenizers ship
 * (tokenizer_config.json chat_template): the same turn markers, system handling, stripping,
 * BOS/EOS use and refusals. Written here, not copied from the model repositories.
 */

/** Qwen2.5-shaped ChatML: a default system block when the conversation has none. */
export const CHATML_QWEN = [
  "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}",
  "{%- else %}{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{%- endif %}",
  "{%- for message in messages %}{%- if message.role != 'system' %}",
  "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endif %}{%- endfor %}",
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}",
].join('\n');

/** Llama 3.1-shaped: BOS, a system header with dates always written, contents stripped, <|eot_id|>. */
export const LLAMA3 = [
  '{{- bos_token }}',
  '{%- if not date_string is defined %}{%- set date_string = "26 Jul 2024" %}{%- endif %}',
  "{%- if messages[0]['role'] == 'system' %}{%- set system_message = messages[0]['content']|trim %}{%- set messages = messages[1:] %}",
  '{%- else %}{%- set system_message = "" %}{%- endif %}',
  '{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}',
  '{{- "Cutting Knowledge Date: December 2023\\n" }}{{- "Today Date: " + date_string + "\\n\\n" }}',
  '{{- system_message }}{{- "<|eot_id|>" }}',
  '{%- for message in messages %}',
  "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}",
  '{%- endfor %}',
  "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}",
].join('\n');

/** Mistral-7B-Instruct-shaped: BOS, strict alternation (no system role), EOS after each answer. */
export const MISTRAL_INST = [
  '{{ bos_token }}{% for message in messages %}',
  "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}",
  "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}",
  "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}",
  "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}",
].join('');

/** Newer Mistral-shaped: the system prompt goes into the LAST user turn. */
export const MISTRAL_SYSTEM_LAST = [
  "{%- if messages[0]['role'] == 'system' %}{%- set system_message = messages[0]['content'] %}{%- set loop_messages = messages[1:] %}",
  '{%- else %}{%- set loop_messages = messages %}{%- endif %}',
  '{{- bos_token }}{%- for message in loop_messages %}',
  "{%- if message['role'] == 'user' %}",
  "{%- if loop.last and system_message is defined %}{{- '[INST] ' + system_message + '\\n\\n' + message['content'] + '[/INST]' }}",
  "{%- else %}{{- '[INST] ' + message['content'] + '[/INST]' }}{%- endif %}",
  "{%- elif message['role'] == 'assistant' %}{{- ' ' + message['content'] + eos_token }}{%- endif %}",
  '{%- endfor %}',
].join('\n');

/** Gemma 3-shaped: 'model' for the assistant, the system prompt inside the first user turn. */
export const GEMMA3 = [
  '{{ bos_token }}',
  "{%- if messages[0]['role'] == 'system' -%}{%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}{%- set loop_messages = messages[1:] -%}",
  '{%- else -%}{%- set first_user_prefix = "" -%}{%- set loop_messages = messages -%}{%- endif -%}',
  '{%- for message in loop_messages -%}',
  "{%- if (message['role'] == 'assistant') -%}{%- set role = 'model' -%}{%- else -%}{%- set role = message['role'] -%}{%- endif -%}",
  "{{ '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else '') }}{{ message['content'] | trim }}{{ '<end_of_turn>\\n' }}",
  '{%- endfor -%}',
  "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\\n' }}{%- endif -%}",
].join('\n');

/** Gemma 2-shaped: a system message is refused. */
export const GEMMA2 = [
  "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}",
  "{% for message in messages %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}",
  "{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}",
  "{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}",
].join('');

/** Phi-3-shaped: <|end|> closes turns; without a generation prompt the conversation ends with EOS. */
export const PHI3 = [
  "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\\n' + message['content'] + '<|end|>\\n'}}",
  "{% elif message['role'] == 'user' %}{{'<|user|>\\n' + message['content'] + '<|end|>\\n'}}",
  "{% elif message['role'] == 'assistant' %}{{'<|assistant|>\\n' + message['content'] + '<|end|>\\n'}}{% endif %}{% endfor %}",
  "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% else %}{{ eos_token }}{% endif %}",
].join('');

/** ChatML whose later turns get a continuation mark: only a multi-turn conversation shows it. */
export const CHATML_LATE_TURNS_DIFFER = [
  '{%- for message in messages %}',
  "{{- '<|im_start|>' + message.role + '\\n' + ('(cont.) ' if loop.index0 >= 4 else '') + message.content + '<|im_end|>\\n' }}",
  '{%- endfor %}',
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}",
].join('\n');

/** Turns numbered by position: no per-turn shape. */
export const NUMBERED_TURNS = "{% for m in messages %}Turn {{ loop.index }} ({{ m.role }}): {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}Turn {{ messages|length + 1 }} (assistant):{% endif %}";
