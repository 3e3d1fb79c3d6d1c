from voicewire.cli import main

main()
