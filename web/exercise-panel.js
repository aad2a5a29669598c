// @ts-check
// One exercise on a lesson page: what to do, the hints on request, the Check button and what a grade says.
import { ApiError, api } from "./api.js";
import { codeBlock, h, inlineMarkdown, renderInstructions } from "./render.js";

/**
 * @typedef {import("./api.js").Exercise} Exercise
 * @typedef {import("./api.js").Submission} Submission
 * @typedef {import("./i18n.js").Strings} Strings
 * @typedef {NonNullable<Exercise["questions"]>[number]} Question
 */

/**
 * The commands a hint tells the learner to type: each `docker …` (or `kill …`) span of its Markdown,
 * in order. Hints are data (content/exercises), so a hint that names a command becomes a command to copy.
 * @param {string} markdown
 */
export function commandsIn(markdown) {
  return [...markdown.matchAll(/`([^`]+)`/g)]
    .map((match) => (match[1] ?? "").trim())
    .filter((code) => /^(sudo )?docker\s+\S/.test(code) || /^kill\s/.test(code));
}

/**
 * A hint's commands as a terminal block with a copy button; null when it names none.
 * @param {string} markdown
 * @param {Strings} strings
 */
function commandsBlock(markdown, strings) {
  const commands = commandsIn(markdown);
  if (commands.length === 0) return null;
  return codeBlock({ language: "console", code: commands.map((command) => `$ ${command}`).join("\n") }, strings);
}

/**
 * A hint as the one next step: its words, then its commands ready to copy.
 * @param {string} markdown
 * @param {Strings} strings
 */
function nextStep(markdown, strings) {
  return h(
    "section",
    { className: "next-step", "aria-label": strings.nextStep },
    h("p", { className: "next-step-title" }, strings.nextStep),
    h("p", null, inlineMarkdown(markdown)),
    commandsBlock(markdown, strings),
  );
}

/**
 * When a hint applies, in words: «Si tu contenedor está exited», «Si falla: Está en ejecución».
 * @param {Exercise["hints"][number]["when"]} when
 * @param {Exercise["checks"]} checks
 * @param {Strings} strings
 */
function hintCondition(when, checks, strings) {
  const parts = [];
  if (when.state === "missing") parts.push(strings.hintIfMissing);
  else if (when.state) parts.push(strings.hintIfState(when.state));
  if (when.failed) {
    const check = checks.find((candidate) => candidate.id === when.failed);
    parts.push(strings.hintIfFailed(check ? check.description : when.failed));
  }
  return parts.join(strings.and);
}

/**
 * The exercise's hints, one more each press, before any attempt: help without giving all of it at once.
 * @param {Exercise} exercise
 * @param {Strings} strings
 */
function hintsOnRequest(exercise, strings) {
  if (exercise.hints.length === 0) return null;
  const list = h("ol", { className: "hint-list" });
  let shown = 0;
  const button = h("button", { type: "button", className: "hint-button" });
  const label = () => {
    button.textContent = strings.showHint(shown + 1, exercise.hints.length);
  };
  label();
  button.addEventListener("click", () => {
    const hint = exercise.hints[shown];
    if (!hint) return; // the button is gone once every hint is shown
    const item = h(
      "li",
      { tabindex: -1 },
      h("p", { className: "hint-when" }, hintCondition(hint.when, exercise.checks, strings)),
      h("p", null, inlineMarkdown(hint.text)),
      commandsBlock(hint.text, strings),
    );
    list.append(item);
    item.focus();
    shown++;
    if (shown === exercise.hints.length) button.remove();
    else label();
  });
  return h("div", { className: "hints-on-request" }, h("h4", null, strings.hints), list, button);
}

/**
 * One exercise: instructions, what is checked, hints on request, the Check button, the result and
 * past attempts. `onGraded(submission, wayOn)` lets the lesson add where to go next. The exercise comes
 * with its lesson (GET /v1/lessons/{slug}): the panel asks the service only for the learner's attempts.
 * @param {Exercise} exercise
 * @param {import("./types/page.js").PageContext & { onGraded: (submission: Submission, wayOn: HTMLElement) => Promise<void> }} context
 */
export async function exercisePanel(exercise, { strings, lang, session, noteProblem, problemMessage, onGraded }) {
  const id = `exercise-${exercise.id}`;
  const result = h("div", { className: "result", id: `${id}-result` });
  const live = h("p", { className: "visually-hidden", role: "status", "aria-live": "polite" });
  const attempts = h("div", { className: "attempts" });
  const show = (/** @type {Submission} */ submission) =>
    result.replaceChildren(submissionView(submission, exercise, strings));

  const showAttempts = async () => {
    const learner = session();
    if (!learner) return;
    try {
      /** @type {import("./api.js").SubmissionPage} */
      const page = await api(
        `/v1/learners/${encodeURIComponent(learner.learnerId)}/submissions?exerciseId=${encodeURIComponent(exercise.id)}&limit=20`,
        { lang },
      );
      attempts.replaceChildren(
        h(
          "details",
          null,
          h("summary", null, strings.attempts(page.items.length)),
          page.items.length === 0
            ? h("p", null, strings.noAttempts)
            : h(
                "ol",
                { className: "attempt-list" },
                page.items.map((submission) =>
                  h(
                    "li",
                    null,
                    h("time", { datetime: submission.gradedAt }, new Date(submission.gradedAt).toLocaleString(lang)),
                    ` · ${submission.status === "passed" ? strings.statusPassed : strings.statusFailed} · ${submission.score}/${submission.maxScore} `,
                    h(
                      "button",
                      { type: "button", className: "link-button", onclick: () => show(submission) },
                      strings.show,
                    ),
                  ),
                ),
              ),
        ),
      );
    } catch (error) {
      noteProblem(error);
    }
  };

  const nameInput = h("input", {
    id: `${id}-container`,
    name: "containerName",
    value: exercise.containerName,
    autocomplete: "off",
    autocapitalize: "off",
    spellcheck: "false",
    required: true,
  });
  // A question exercise is answered in the form; a container exercise names the container to grade.
  const questions = (exercise.questions ?? []).map((q) => questionField(id, q, strings));
  const answers = () =>
    Object.fromEntries(questions.flatMap((q) => (q.value() === undefined ? [] : [[q.id, q.value()]])));
  const checkButton = h("button", { type: "submit", className: "primary" }, strings.check);
  const form = h(
    "form",
    {
      className: exercise.kind === "question" ? "check-form is-questions" : "check-form",
      onsubmit: async (event) => {
        event.preventDefault();
        const learner = session();
        if (!learner) {
          result.replaceChildren(h("p", { className: "problem" }, strings.signInToCheck));
          return;
        }
        checkButton.disabled = true;
        live.textContent = strings.checking;
        result.replaceChildren(h("p", { className: "loading" }, strings.checking));
        try {
          /** @type {Submission} */
          const submission = await api(`/v1/exercises/${encodeURIComponent(exercise.id)}/submissions`, {
            method: "POST",
            lang,
            body:
              exercise.kind === "question"
                ? { learnerId: learner.learnerId, answers: answers() }
                : { learnerId: learner.learnerId, containerName: nameInput.value.trim() },
          });
          show(submission);
          live.textContent =
            submission.status === "passed"
              ? strings.passed(submission.score, submission.maxScore)
              : strings.failed(submission.score, submission.maxScore);
          // After a pass, the way on comes right under the verdict, before the list of what passed.
          const wayOn = h("div", { className: "way-on" });
          if (submission.status === "passed") result.querySelector(".verdict")?.after(wayOn);
          await Promise.all([showAttempts(), onGraded(submission, wayOn)]);
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          noteProblem(error);
          const message = problemMessage(error);
          result.replaceChildren(message);
          live.textContent = message.textContent;
        } finally {
          checkButton.disabled = false;
        }
      },
    },
    exercise.kind === "question"
      ? questions.map((q) => q.element)
      : h("p", { className: "name-field" }, h("label", { for: nameInput.id }, strings.containerName), nameInput),
    checkButton,
  );

  await showAttempts();
  return h(
    "section",
    { className: "exercise", id, "aria-labelledby": `${id}-title` },
    h("h3", { id: `${id}-title` }, exercise.title),
    renderInstructions(exercise.instructions, strings),
    exercise.checks.length > 0 &&
      h(
        "details",
        { className: "checks-preview" },
        h("summary", null, strings.checksTitle),
        h(
          "ul",
          null,
          exercise.checks.map((check) =>
            h("li", null, check.description, h("span", { className: "points" }, ` · ${strings.points(check.points)}`)),
          ),
        ),
      ),
    hintsOnRequest(exercise, strings),
    session() ? form : h("p", { className: "problem" }, strings.signInToCheck),
    live,
    result,
    attempts,
  );
}

/** Option text as plain words, for places that hold no markup (a select's options): `docker ps` is docker ps. */
const plain = (/** @type {string} */ markdown) =>
  markdown.replace(/`([^`]+)`/g, "$1").replace(/\*\*?([^*]+)\*\*?/g, "$1");

/**
 * One question's inputs, and what they answer: undefined while unanswered.
 * @param {string} exerciseId
 * @param {Question} question
 * @param {Strings} strings
 * @returns {{ id: string, element: HTMLElement, value: () => string | string[] | undefined }}
 */
function questionField(exerciseId, question, strings) {
  const name = `${exerciseId}-${question.id}`;
  const legend = h(
    "legend",
    null,
    inlineMarkdown(question.prompt),
    h("span", { className: "points" }, ` · ${strings.points(question.points)}`),
  );
  const field = (/** @type {import("./render.js").Child[]} */ ...children) =>
    h("fieldset", { className: `question question-${question.type}`, "data-question": question.id }, legend, children);
  if (question.type === "short") {
    const input = h("input", {
      name,
      autocomplete: "off",
      autocapitalize: "off",
      spellcheck: "false",
      "aria-label": plain(question.prompt),
    });
    return { id: question.id, element: field(input), value: () => input.value.trim() || undefined };
  }
  if (question.type === "order") {
    const items = question.items ?? [];
    const selects = items.map((_, position) =>
      h(
        "select",
        { name: `${name}-${position + 1}`, id: `${name}-${position + 1}` },
        h("option", { value: "" }, strings.choose),
        items.map((item) => h("option", { value: item.id }, plain(item.text))),
      ),
    );
    const value = () => (selects.every((select) => select.value) ? selects.map((select) => select.value) : undefined);
    return {
      id: question.id,
      element: field(
        h(
          "ol",
          { className: "order-list" },
          selects.map((select, position) =>
            h("li", null, h("label", { for: select.id }, strings.position(position + 1)), select),
          ),
        ),
      ),
      value,
    };
  }
  const type = question.type === "single" ? "radio" : "checkbox";
  const options = question.options ?? [];
  const boxes = options.map((option) => h("input", { type, name, value: option.id }));
  const labels = options.map((option, index) =>
    h(
      "label",
      { className: "option" },
      boxes[index],
      h("span", { className: "option-text" }, inlineMarkdown(option.text)),
    ),
  );
  const value = () => {
    const chosen = boxes.filter((box) => box.checked).map((box) => box.value);
    return type === "radio" ? chosen[0] : chosen;
  };
  return { id: question.id, element: field(labels), value };
}

/** @typedef {Submission["checks"][number]} CheckResult */

/**
 * Expected and obtained, only where they tell something the feedback did not already say.
 * @param {CheckResult} check
 */
function versusMeansSomething(check) {
  if (check.passed || !check.evaluated || check.actual === null || check.expected === "") return false;
  return !(check.feedback.includes(check.expected) && check.feedback.includes(check.actual));
}

/**
 * @param {NonNullable<CheckResult["answers"]>} answers
 * @param {boolean} passed
 * @param {Strings} strings
 */
function answersView(answers, passed, strings) {
  const list = (/** @type {string[]} */ texts) =>
    texts.length === 0
      ? h("p", null, strings.noAnswer)
      : h(
          texts.length > 1 ? "ol" : "ul",
          { className: "answer-texts" },
          texts.map((text) => h("li", null, inlineMarkdown(text))),
        );
  return h(
    "dl",
    { className: "answers" },
    h("dt", null, strings.yourAnswer),
    h("dd", null, list(answers.given)),
    passed ? null : [h("dt", null, strings.rightAnswer), h("dd", null, list(answers.right))],
  );
}

/**
 * @param {CheckResult} check
 * @param {Strings} strings
 */
function checkItem(check, strings) {
  return h(
    "li",
    { className: check.passed ? "check pass" : "check fail", "data-check": check.id },
    h(
      "p",
      { className: "check-head" },
      h("span", { className: "mark", "aria-hidden": "true" }, check.passed ? "✓" : "✗"),
      " ",
      inlineMarkdown(check.description),
      h("span", { className: "points" }, ` ${check.points}/${check.maxPoints}`),
    ),
    check.feedback ? h("p", { className: "feedback" }, inlineMarkdown(check.feedback)) : null,
    check.answers ? answersView(check.answers, check.passed, strings) : null,
    !check.answers && versusMeansSomething(check)
      ? h(
          "dl",
          { className: "versus" },
          h("dt", null, strings.expected),
          h("dd", null, h("code", null, check.expected)),
          h("dt", null, strings.actual),
          h("dd", null, h("code", null, check.actual)),
        )
      : null,
  );
}

/**
 * A grade, leading with what to do: a failed one opens with the one next step (the first hint, its
 * command ready to copy), then what failed; checks that could not run for want of a container fold
 * into one line; what passed comes last.
 * @param {Submission} submission
 * @param {Pick<Exercise, "kind"> | undefined} exercise
 * @param {Strings} strings
 */
export function submissionView(submission, exercise, strings) {
  const passed = submission.status === "passed";
  const failing = submission.checks.filter((check) => !check.passed && check.evaluated);
  const unlooked = submission.checks.filter((check) => !check.passed && !check.evaluated);
  const passing = submission.checks.filter((check) => check.passed);
  const [first, ...moreHints] = submission.hints;
  return h(
    "div",
    { className: `submission ${passed ? "is-passed" : "is-failed"}`, "data-status": submission.status },
    h(
      "p",
      { className: "verdict" },
      passed
        ? strings.passed(submission.score, submission.maxScore)
        : strings.failed(submission.score, submission.maxScore),
    ),
    !passed && first ? nextStep(first, strings) : null,
    failing.length || unlooked.length
      ? h(
          "ul",
          { className: "check-results" },
          failing.map((check) => checkItem(check, strings)),
          unlooked.length
            ? h(
                "li",
                { className: "check unlooked", "data-unlooked": unlooked.length },
                h(
                  "details",
                  null,
                  h("summary", null, strings.couldNotLook(unlooked.length)),
                  h(
                    "ul",
                    null,
                    unlooked.map((check) => h("li", { "data-check": check.id }, inlineMarkdown(check.description))),
                  ),
                ),
              )
            : null,
        )
      : null,
    moreHints.length
      ? h(
          "div",
          { className: "hints" },
          h("h4", null, strings.moreHints),
          h(
            "ul",
            null,
            moreHints.map((hint) => h("li", null, h("p", null, inlineMarkdown(hint)), commandsBlock(hint, strings))),
          ),
        )
      : null,
    passing.length
      ? h(
          "details",
          { className: "passed-checks", open: passed || exercise?.kind === "question" ? true : undefined },
          h("summary", null, strings.passedChecks(passing.length)),
          h(
            "ul",
            { className: "check-results" },
            passing.map((check) => checkItem(check, strings)),
          ),
        )
      : null,
  );
}
